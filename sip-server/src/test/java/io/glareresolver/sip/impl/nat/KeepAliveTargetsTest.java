package io.glareresolver.sip.impl.nat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

import io.glareresolver.sip.api.Registration;
import io.glareresolver.sip.api.Registration.Binding;

class KeepAliveTargetsTest {

    static final Instant LATER = Instant.parse("2030-01-01T00:00:00Z");

    static Binding binding(String contact, String received, List<String> path) {
        return new Binding(contact, LATER, Set.of(), "c", 1, Binding.NO_Q, received, null, Binding.NO_REG_ID, path);
    }

    @Test
    void onlyNatedBindingsWithoutPathAreProbedOncePerFlow() {
        Registration bob = new Registration("bob@example.org", 2, List.of(
                binding("sip:bob@192.168.1.20:5060", "udp:203.0.113.7:40312", List.of()),
                binding("sip:bob@192.168.1.20:5062", "udp:203.0.113.7:40312", List.of()), // same flow
                binding("sip:bob@203.0.113.9:5060", null, List.of()), // reachable as it is
                binding("sip:bob@10.1.1.1:5060", null, List.of("<sip:edge.example.org;lr>"))));
        Registration carol = new Registration("carol@example.org", 3, List.of(
                binding("sip:carol@10.0.0.3;transport=tcp", "tcp:203.0.113.8:51000", List.of())));
        List<KeepAliveTargets.Target> targets = KeepAliveTargets.of(List.of(bob, carol));
        assertEquals(List.of("udp:203.0.113.7:40312", "tcp:203.0.113.8:51000"),
                targets.stream().map(t -> t.flow().text()).toList());
        assertEquals("sip:bob@192.168.1.20:5060", targets.get(0).binding().contact());
        assertEquals("carol@example.org", targets.get(1).aor());
    }

    @Test
    void failuresAreCountedUntilAnAnswerAndReportedEveryThird() {
        KeepAliveTargets k = new KeepAliveTargets();
        Flow f = new Flow("udp", "203.0.113.7", 40312);
        assertEquals(1, k.failed(f));
        assertEquals(2, k.failed(f));
        assertEquals(3, k.failed(f));
        k.answered(f);
        assertEquals(1, k.failed(f), "an answer starts the count again");
        assertFalse(KeepAliveTargets.report(1));
        assertFalse(KeepAliveTargets.report(2));
        assertTrue(KeepAliveTargets.report(3));
        assertTrue(KeepAliveTargets.report(6));
        assertFalse(KeepAliveTargets.report(0));
        k.retain(List.of());
        assertEquals(1, k.failed(f), "a flow no longer probed is forgotten");
    }
}
