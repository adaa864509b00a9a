package io.glareresolver.sip.impl.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

/** The 2xx-answered INVITEs waiting for their ACK: once, within 64*T1, bounded. */
class AnsweredInvitesTest {

    static final long SECOND = 1_000_000_000L;

    @Test
    void anAckIsMatchedOnceByCallIdFromTagAndCSeq() {
        AnsweredInvites<String> answered = new AnsweredInvites<>();
        answered.put(AnsweredInvites.key("c1", "tagA", 1), "alice->bob", 0);
        assertNull(answered.take(AnsweredInvites.key("c1", "tagB", 1), SECOND), "another From tag is another dialog");
        assertNull(answered.take(AnsweredInvites.key("c1", "tagA", 2), SECOND), "another CSeq is another INVITE");
        assertEquals("alice->bob", answered.take(AnsweredInvites.key("c1", "tagA", 1), SECOND));
        assertNull(answered.take(AnsweredInvites.key("c1", "tagA", 1), 2 * SECOND), "a retransmitted ACK is not reported again");
    }

    @Test
    void anAckLaterThan64T1IsNotMatched() {
        AnsweredInvites<String> answered = new AnsweredInvites<>();
        answered.put(AnsweredInvites.key("c1", "t", 1), "early", 0);
        answered.put(AnsweredInvites.key("c2", "t", 1), "late", 10 * SECOND);
        assertNull(answered.take(AnsweredInvites.key("c1", "t", 1), 33 * SECOND));
        assertEquals(1, answered.size());
        assertEquals("late", answered.take(AnsweredInvites.key("c2", "t", 1), 33 * SECOND));
    }

    @Test
    void callersThatNeverAckCannotGrowItBeyondItsBound() {
        AnsweredInvites<Integer> answered = new AnsweredInvites<>();
        for (int i = 0; i < AnsweredInvites.MAXIMUM + 500; i++) {
            answered.put(AnsweredInvites.key("c" + i, "t", 1), i, 0);
        }
        assertEquals(AnsweredInvites.MAXIMUM, answered.size());
        assertNull(answered.take(AnsweredInvites.key("c0", "t", 1), 0), "the oldest went first");
        assertEquals(AnsweredInvites.MAXIMUM + 499, answered.take(AnsweredInvites.key("c" + (AnsweredInvites.MAXIMUM + 499), "t", 1), 0));
    }
}
