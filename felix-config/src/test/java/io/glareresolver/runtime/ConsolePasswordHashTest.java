package io.glareresolver.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.SecureRandom;
import org.junit.jupiter.api.Test;

class ConsolePasswordHashTest {

    /**
     * Known answer computed outside Java (Python hashlib): SHA-256 applied 1000 times to
     * "0011223344556677glare", base64; the layout is the Web Console's salted form.
     */
    @Test
    void knownAnswer() {
        ConsolePasswordHash hash = ConsolePasswordHash.of("glare", "0011223344556677", 1000);
        assertEquals("{sha-256}0011223344556677-1000-M4OX57nYgmSEyTHKEU5ewLfpjD/dfQqB0Z+oD0VETwc=",
                hash.encoded());
    }

    @Test
    void parsedHashMatchesOnlyItsPassword() {
        String encoded = ConsolePasswordHash.of("s3cret", new SecureRandom()).encoded();
        ConsolePasswordHash parsed = ConsolePasswordHash.parse(encoded);
        assertTrue(parsed.matches("s3cret"));
        assertFalse(parsed.matches("s3cret "));
        assertFalse(parsed.matches("admin"));
        assertEquals(encoded, parsed.encoded());
    }

    @Test
    void freshSaltEachTime() {
        SecureRandom random = new SecureRandom();
        assertNotEquals(ConsolePasswordHash.of("same", random).encoded(),
                ConsolePasswordHash.of("same", random).encoded());
    }

    @Test
    void rejectsWhatTheConsoleWouldMisread() {
        assertThrows(IllegalArgumentException.class, () -> ConsolePasswordHash.parse("admin"));
        assertThrows(IllegalArgumentException.class, () -> ConsolePasswordHash.parse("{sha-256}abc"));
        assertThrows(IllegalArgumentException.class, () -> ConsolePasswordHash.parse("{sha-256}ab-x-AAAA"));
        assertThrows(IllegalArgumentException.class, () -> ConsolePasswordHash.of("p", "a-b", 1000));
        assertThrows(IllegalArgumentException.class, () -> ConsolePasswordHash.of("p", "ab", 0));
    }
}
