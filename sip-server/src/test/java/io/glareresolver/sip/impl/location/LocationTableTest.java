package io.glareresolver.sip.impl.location;

import io.glareresolver.sip.impl.MutableClock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import java.util.Set;

import org.junit.jupiter.api.Test;

import io.glareresolver.sip.api.Registration;

class LocationTableTest {

    final MutableClock clock = new MutableClock();
    final LocationTable table = new LocationTable(clock, "example.org", name -> name.equals("alice") ? Optional.of(7L) : Optional.empty());

    @Test
    void expiryRule() {
        ExpiryRule rule = new ExpiryRule(60, 3600, 600);
        assertEquals(new ExpiryRule.Decision(ExpiryRule.Kind.BIND, 120), rule.decide(120, 30), "the contact parameter wins");
        assertEquals(new ExpiryRule.Decision(ExpiryRule.Kind.BIND, 300), rule.decide(null, 300));
        assertEquals(new ExpiryRule.Decision(ExpiryRule.Kind.BIND, 600), rule.decide(null, null), "default");
        assertEquals(new ExpiryRule.Decision(ExpiryRule.Kind.BIND, 3600), rule.decide(null, 99999), "shortened to the maximum");
        assertEquals(new ExpiryRule.Decision(ExpiryRule.Kind.TOO_BRIEF, 60), rule.decide(59, null));
        assertEquals(new ExpiryRule.Decision(ExpiryRule.Kind.REMOVE, 0), rule.decide(0, 3600));
    }

    @Test
    void bindingsExpire() {
        table.update("alice@Example.org", 7, List.of(new LocationTable.Change("sip:alice@10.0.0.1:5070", 60, Set.of("glare"))), false, "c1", 1);
        Registration reg = table.lookup("sip:alice@example.org").orElseThrow();
        assertEquals("alice@example.org", reg.aor());
        assertEquals(7, reg.endpointId());
        assertTrue(reg.supports("GLARE"));
        clock.now = clock.now.plusSeconds(59);
        assertTrue(table.lookup("alice@example.org").isPresent());
        clock.now = clock.now.plusSeconds(1);
        assertTrue(table.lookup("alice@example.org").isEmpty(), "expired at expiresAt");
        assertTrue(table.registrations().isEmpty());
    }

    @Test
    void refreshRemoveAndCseqOrder() {
        table.update("alice@example.org", 7, List.of(new LocationTable.Change("sip:alice@10.0.0.1:5070", 60, Set.of())), false, "c1", 5);
        table.update("alice@example.org", 7, List.of(new LocationTable.Change("sip:alice@10.0.0.2:5070", 60, Set.of())), false, "c2", 1);
        assertEquals(2, table.lookup("alice@example.org").orElseThrow().bindings().size());

        LocationTable.Update stale = table.update("alice@example.org", 7,
                List.of(new LocationTable.Change("sip:alice@10.0.0.1:5070", 0, Set.of())), false, "c1", 5);
        assertFalse(stale.applied(), "same Call-ID, CSeq not higher: refused");
        assertEquals(2, table.lookup("alice@example.org").orElseThrow().bindings().size());

        clock.now = clock.now.plusSeconds(30);
        table.update("alice@example.org", 7, List.of(new LocationTable.Change("sip:alice@10.0.0.1:5070;transport=udp", 60, Set.of("glare"))), false, "c1", 6);
        Registration r = table.lookup("alice@example.org").orElseThrow();
        assertEquals(3, r.bindings().size(), "a different transport is a different binding");
        table.update("alice@example.org", 7, List.of(new LocationTable.Change("sip:alice@10.0.0.1:5070", 0, Set.of())), false, "c1", 7);
        assertEquals(2, table.lookup("alice@example.org").orElseThrow().bindings().size());

        assertTrue(table.update("alice@example.org", 7, List.of(), true, "c9", 1).applied());
        assertTrue(table.lookup("alice@example.org").isEmpty(), "wildcard removes all");
    }

    @Test
    void endpointIdsAndNormalisation() {
        assertEquals(Optional.of(7L), table.endpointId("alice"));
        assertEquals(Optional.of(7L), table.endpointId("alice@EXAMPLE.org"));
        assertEquals(Optional.empty(), table.endpointId("alice@elsewhere.net"));
        assertEquals(Optional.empty(), table.endpointId("bob"));
        assertEquals("alice@example.org", LocationTable.normalise("sip:alice@Example.ORG:5060;transport=udp"));
    }

    static LocationTable.Change outbound(String contact, String instance, int regId) {
        return new LocationTable.Change(contact, 600, Set.of(), Registration.Binding.NO_Q, null, instance, regId, List.of());
    }

    @Test
    void sameInstanceAndRegIdReplaceTheBindingEvenFromAnotherContact() {
        String urn = "<urn:uuid:00000000-0000-1000-8000-000a95a0e128>";
        table.update("alice@example.org", 7, List.of(outbound("sip:alice@10.0.0.1:5070", urn, 1)), false, "c1", 1);
        table.update("alice@example.org", 7, List.of(outbound("sip:alice@10.0.0.9:5070", urn, 1)), false, "c2", 1);
        List<Registration.Binding> b = table.lookup("alice@example.org").orElseThrow().bindings();
        assertEquals(1, b.size(), "RFC 5626 §6: replaced");
        assertEquals("sip:alice@10.0.0.9:5070", b.get(0).contact());
        table.update("alice@example.org", 7, List.of(outbound("sip:alice@10.0.0.9:5071", urn, 2)), false, "c2", 2);
        assertEquals(2, table.lookup("alice@example.org").orElseThrow().bindings().size(), "another reg-id: another flow");
        table.update("alice@example.org", 7, List.of(outbound("sip:alice@10.0.0.9:5072", null, 1)), false, "c2", 3);
        assertEquals(3, table.lookup("alice@example.org").orElseThrow().bindings().size(),
                "without +sip.instance the Contact URI decides (RFC 3261)");
    }

    @Test
    void aNatedContactIsFoundForInDialogRequests() {
        table.update("alice@example.org", 7, List.of(new LocationTable.Change("sip:alice@192.168.1.2:5060", 600, Set.of(),
                Registration.Binding.NO_Q, "udp:203.0.113.7:40000", null, Registration.Binding.NO_REG_ID, List.of()),
                new LocationTable.Change("sip:alice@203.0.113.9:5060", 600, Set.of())), false, "c1", 1);
        assertEquals("udp:203.0.113.7:40000",
                table.routedBinding("sip:alice@192.168.1.2:5060;ob").orElseThrow().received(), "parameters do not matter");
        assertTrue(table.routedBinding("sip:alice@203.0.113.9:5060").isEmpty(), "reachable as it is: no route");
        clock.now = clock.now.plusSeconds(601);
        assertTrue(table.routedBinding("sip:alice@192.168.1.2:5060").isEmpty(), "expired");
    }
}
