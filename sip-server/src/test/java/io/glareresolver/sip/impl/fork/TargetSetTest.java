package io.glareresolver.sip.impl.fork;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

import io.glareresolver.sip.api.Registration.Binding;

/** The order the bindings of a user are tried in (parallel within a q-value, serial across). */
class TargetSetTest {

    static final Instant NOW = Instant.parse("2026-12-07T00:00:00Z");

    static Binding binding(String contact, float q, int expiresInSeconds) {
        return new Binding(contact, NOW.plusSeconds(expiresInSeconds), Set.of(), "reg-" + contact, 1, q);
    }

    static List<List<String>> contacts(List<List<Binding>> groups) {
        return groups.stream().map(g -> g.stream().map(Binding::contact).toList()).toList();
    }

    @Test
    void withoutQValuesEveryPhoneRingsAtOnceTheFreshestFirst() {
        List<List<Binding>> groups = TargetSet.groups(List.of(binding("sip:desk", Binding.NO_Q, 100),
                binding("sip:soft", Binding.NO_Q, 500)));
        assertEquals(List.of(List.of("sip:soft", "sip:desk")), contacts(groups));
    }

    @Test
    void qValuesMakeGroupsHighestFirstAndNoQCountsAsOne() {
        List<List<Binding>> groups = TargetSet.groups(List.of(binding("sip:mobile", 0.1f, 100),
                binding("sip:desk", 1.0f, 100), binding("sip:soft", Binding.NO_Q, 200),
                binding("sip:home", 0.5f, 100), binding("sip:tablet", 0.1f, 300)));
        assertEquals(List.of(List.of("sip:soft", "sip:desk"), List.of("sip:home"), List.of("sip:tablet", "sip:mobile")),
                contacts(groups));
    }

    @Test
    void noBindingsNoGroups() {
        assertTrue(TargetSet.groups(List.of()).isEmpty());
    }
}
