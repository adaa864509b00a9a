package io.glareresolver.sip.impl.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ChallengedInvitesTest {

    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

    @Test
    void theInviteResentWithCredentialsWasDialledWhenItsFirstAttemptWasChallenged() {
        ChallengedInvites challenged = new ChallengedInvites();
        challenged.challenged("call-1", 100 * SECOND);
        challenged.challenged("call-1", 100 * SECOND + 5); // a retransmission of the first attempt, challenged again
        assertEquals(100 * SECOND, challenged.dialled("call-1", 100 * SECOND + 3_000_000));
        assertEquals(0, challenged.size(), "consumed by the authenticated INVITE");
    }

    @Test
    void anInviteNeverChallengedWasDialledWhenItArrived() {
        ChallengedInvites challenged = new ChallengedInvites();
        challenged.challenged("other", 100 * SECOND);
        assertEquals(101 * SECOND, challenged.dialled("call-2", 101 * SECOND));
        assertEquals(1, challenged.size());
    }

    @Test
    void aChallengeOlderThan64T1IsNotTheDialTime() {
        ChallengedInvites challenged = new ChallengedInvites();
        challenged.challenged("call-3", 100 * SECOND);
        assertEquals(140 * SECOND, challenged.dialled("call-3", 140 * SECOND));
    }

    @Test
    void aFloodOfUnansweredChallengesKeepsTheTableBounded() {
        ChallengedInvites challenged = new ChallengedInvites();
        for (int i = 0; i < ChallengedInvites.MAXIMUM + 500; i++) {
            challenged.challenged("flood-" + i, 100 * SECOND + i);
        }
        assertEquals(ChallengedInvites.MAXIMUM, challenged.size());
        // 40 s later the stale ones make room again
        challenged.challenged("fresh", 140 * SECOND);
        assertEquals(1, challenged.size());
        assertEquals(140 * SECOND, challenged.dialled("fresh", 140 * SECOND + 1_000_000));
    }
}
