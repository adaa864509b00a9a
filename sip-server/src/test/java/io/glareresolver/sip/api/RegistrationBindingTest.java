package io.glareresolver.sip.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

import io.glareresolver.sip.api.Registration.Binding;

/** SPI 1.5.0 keeps the 1.3 and 1.4 constructors of {@link Binding}: a plugin built against them still works. */
class RegistrationBindingTest {

    static final Instant T = Instant.parse("2030-01-01T00:00:00Z");

    @Test
    void olderConstructorsGiveABindingReachableAtItsContact() {
        Binding five = new Binding("sip:a@10.0.0.1", T, Set.of("glare"), "c", 1);
        Binding six = new Binding("sip:a@10.0.0.1", T, Set.of("glare"), "c", 1, 0.5f);
        for (Binding b : List.of(five, six)) {
            assertNull(b.received());
            assertFalse(b.natted());
            assertNull(b.instance());
            assertEquals(Binding.NO_REG_ID, b.regId());
            assertEquals(List.of(), b.path());
        }
        assertEquals(Binding.NO_Q, five.q());
        assertEquals(0.5f, six.q());
    }

    @Test
    void newComponents() {
        Binding b = new Binding("sip:a@192.168.1.2", T, Set.of(), "c", 1, Binding.NO_Q, "udp:203.0.113.7:40000",
                "<urn:uuid:1>", 1, null);
        assertTrue(b.natted());
        assertEquals(List.of(), b.path(), "a null path is empty");
        assertThrows(IllegalArgumentException.class,
                () -> new Binding("sip:a@h", T, Set.of(), "c", 1, Binding.NO_Q, null, null, 0, List.of()), "reg-id 0");
    }
}
