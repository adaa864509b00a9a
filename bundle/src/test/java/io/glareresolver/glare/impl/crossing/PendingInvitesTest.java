package io.glareresolver.glare.impl.crossing;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PendingInvitesTest {

    private final CallLeg aliceToBob = new CallLeg("alice@h", "bob@h");
    private final PendingInvites<Object> table = new PendingInvites<>(3);

    @Test
    void theReverseInviteCrossesThePendingOne() {
        Object first = new Object();
        Object second = new Object();
        assertInstanceOf(PendingInvites.Arrival.Tracked.class, table.arrive(aliceToBob, first));
        PendingInvites.Arrival<Object> arrival = table.arrive(aliceToBob.reverse(), second);
        PendingInvites.Arrival.Crossed<Object> crossed = assertInstanceOf(PendingInvites.Arrival.Crossed.class, arrival);
        assertSame(first, crossed.first());
        assertEquals(2, table.size());
    }

    @Test
    void aLegIsPendingFromArrivalUntilRemoved() {
        Object invite = new Object();
        assertFalse(table.isPending(aliceToBob));
        table.arrive(aliceToBob, invite);
        assertTrue(table.isPending(aliceToBob));
        assertFalse(table.isPending(aliceToBob.reverse()), "only the leg it arrived on");
        table.remove(aliceToBob, invite);
        assertFalse(table.isPending(aliceToBob));
    }

    @Test
    void aPendingInviteCrossesOnlyOnce() {
        table.arrive(aliceToBob, new Object());
        Object bobsFirst = new Object();
        table.arrive(aliceToBob.reverse(), bobsFirst);
        assertTrue(table.remove(aliceToBob.reverse(), bobsFirst));
        // bob calls again while alice's crossed INVITE is still pending: not a second crossing
        assertInstanceOf(PendingInvites.Arrival.Tracked.class, table.arrive(aliceToBob.reverse(), new Object()));
    }

    @Test
    void aSecondInviteOnTheSameLegIsNotTracked() {
        table.arrive(aliceToBob, new Object());
        PendingInvites.Arrival<Object> again = table.arrive(aliceToBob, new Object());
        assertTrue(assertInstanceOf(PendingInvites.Arrival.Untracked.class, again).reason().contains("already pending"));
    }

    @Test
    void theTableIsBounded() {
        table.arrive(new CallLeg("a@h", "b@h"), new Object());
        table.arrive(new CallLeg("c@h", "d@h"), new Object());
        table.arrive(new CallLeg("e@h", "f@h"), new Object());
        PendingInvites.Arrival<Object> fourth = table.arrive(new CallLeg("g@h", "i@h"), new Object());
        assertTrue(assertInstanceOf(PendingInvites.Arrival.Untracked.class, fourth).reason().contains("full"));
        assertEquals(3, table.size());
    }

    @Test
    void removeTakesOnlyTheSameInvite() {
        Object first = new Object();
        table.arrive(aliceToBob, first);
        assertFalse(table.remove(aliceToBob, new Object()));
        assertTrue(table.remove(aliceToBob, first));
        assertEquals(0, table.size());
        assertFalse(table.remove(aliceToBob, first));
    }

    @Test
    void clearReturnsEverythingPending() {
        Object a = new Object();
        Object b = new Object();
        table.arrive(aliceToBob, a);
        table.arrive(new CallLeg("c@h", "d@h"), b);
        assertEquals(2, table.clear().size());
        assertEquals(0, table.size());
    }

    @Test
    void aMaximumBelowOneIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new PendingInvites<>(0));
    }
}
