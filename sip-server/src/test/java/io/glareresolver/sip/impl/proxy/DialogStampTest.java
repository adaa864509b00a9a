package io.glareresolver.sip.impl.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class DialogStampTest {

    static final String CALL_ID = "a84b4c76e66710@pc33.example.com";
    static final String CALLER_TAG = "1928301774";
    static final String CALLEE_TAG = "a6c85cf";

    final DialogStamp stamps = new DialogStamp();

    @Test
    void aStampIsSixteenUrlSafeCharactersAndTheSameForTheSameDialog() {
        String s = stamps.sign(CALL_ID, CALLER_TAG);
        assertEquals(16, s.length(), s);
        assertTrue(s.matches("[A-Za-z0-9_-]{16}"), "fits a URI parameter unescaped: " + s);
        assertEquals(s, stamps.sign(CALL_ID, CALLER_TAG));
    }

    @Test
    void theCallersRequestsCarryItsTagInFromTheCalleesInTo() {
        String s = stamps.sign(CALL_ID, CALLER_TAG);
        assertTrue(stamps.verifies(s, CALL_ID, CALLER_TAG, CALLEE_TAG), "BYE from the caller");
        assertTrue(stamps.verifies(s, CALL_ID, CALLEE_TAG, CALLER_TAG), "BYE from the callee: tags swapped");
    }

    @Test
    void anotherCallIdOrTagsDoNotVerify() {
        String s = stamps.sign(CALL_ID, CALLER_TAG);
        assertFalse(stamps.verifies(s, "made-up@192.0.2.1", CALLER_TAG, CALLEE_TAG), "stamp copied to another Call-ID");
        assertFalse(stamps.verifies(s, CALL_ID, "x1", "x2"), "same Call-ID, made-up tags");
        assertFalse(stamps.verifies(s, CALL_ID, CALLEE_TAG, null), "only the callee's tag");
        assertFalse(stamps.verifies(s, CALL_ID.toUpperCase(), CALLER_TAG, CALLEE_TAG), "Call-IDs are case-sensitive");
    }

    @Test
    void theBoundaryBetweenCallIdAndTagCannotBeShifted() {
        String s = stamps.sign("call-12", "3");
        assertFalse(stamps.verifies(s, "call-1", "23", null));
        assertNotEquals(s, stamps.sign("call-1", "23"));
    }

    @Test
    void anotherKeyMakesAnotherStamp() {
        DialogStamp other = new DialogStamp();
        String s = stamps.sign(CALL_ID, CALLER_TAG);
        assertNotEquals(s, other.sign(CALL_ID, CALLER_TAG));
        assertFalse(other.verifies(s, CALL_ID, CALLER_TAG, CALLEE_TAG), "a restarted store: old stamps are foreign");
    }

    @Test
    void garbageTruncatedOrMissingStampsDoNotVerify() {
        String s = stamps.sign(CALL_ID, CALLER_TAG);
        assertFalse(stamps.verifies(null, CALL_ID, CALLER_TAG, CALLEE_TAG));
        assertFalse(stamps.verifies("", CALL_ID, CALLER_TAG, CALLEE_TAG));
        assertFalse(stamps.verifies(s.substring(0, 15), CALL_ID, CALLER_TAG, CALLEE_TAG), "truncated");
        assertFalse(stamps.verifies(s + "AA", CALL_ID, CALLER_TAG, CALLEE_TAG), "longer");
        assertFalse(stamps.verifies("%%not base64%%", CALL_ID, CALLER_TAG, CALLEE_TAG));
        assertFalse(stamps.verifies(s, null, CALLER_TAG, CALLEE_TAG), "no Call-ID");
        char flipped = s.charAt(3) == 'A' ? 'B' : 'A';
        assertFalse(stamps.verifies(s.substring(0, 3) + flipped + s.substring(4), CALL_ID, CALLER_TAG, CALLEE_TAG));
    }

    @Test
    void aCallerWithoutFromTagIsSignedAsTheEmptyTag() {
        // an RFC 2543 caller sends no From tag; its dialog is then Call-ID alone
        String s = stamps.sign(CALL_ID, null);
        assertTrue(stamps.verifies(s, CALL_ID, null, CALLEE_TAG));
        assertTrue(stamps.verifies(s, CALL_ID, CALLEE_TAG, null));
    }

    @Test
    void theKeyIsNotShown() {
        assertEquals("DialogStamp[HMAC-SHA256, key not shown]", stamps.toString());
    }
}
