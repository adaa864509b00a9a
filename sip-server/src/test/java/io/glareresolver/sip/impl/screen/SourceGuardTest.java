package io.glareresolver.sip.impl.screen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

import io.glareresolver.sip.impl.MutableClock;
import io.glareresolver.sip.impl.screen.SourceGuard.Ban;
import io.glareresolver.sip.impl.screen.SourceGuard.Limits;
import io.glareresolver.sip.impl.screen.SourceGuard.Snapshot;
import io.glareresolver.sip.impl.screen.SourceGuard.Verdict;

class SourceGuardTest {

    static final long MS = 1_000_000L;
    static final long S = 1_000 * MS;

    /** A nanosecond time source that starts near the wrap of long: differences must still work. */
    final AtomicLong nanos = new AtomicLong(Long.MAX_VALUE - 10 * S);
    final MutableClock wall = new MutableClock();

    SourceGuard guard(int rate, int failures, int windowS, int banS) {
        return new SourceGuard(new Limits(rate, failures, Duration.ofSeconds(windowS), Duration.ofSeconds(banS)),
                nanos::get, wall);
    }

    void advance(long n) {
        nanos.addAndGet(n);
        wall.now = wall.now.plusNanos(n);
    }

    int admitted(SourceGuard g, String source, int requests) {
        int ok = 0;
        for (int i = 0; i < requests; i++) {
            if (g.admit(source) == Verdict.ADMIT) {
                ok++;
            }
        }
        return ok;
    }

    @Test
    void aBurstAboveTheRateIsRefusedForTheExcessAndOthersAreServed() {
        SourceGuard g = guard(100, 20, 60, 300);
        assertEquals(100, admitted(g, "127.0.0.77", 250), "a full bucket admits the rate in one burst");
        assertEquals(Verdict.ADMIT, g.admit("127.0.0.1"), "another source has its own bucket");
        assertEquals(150, g.snapshot().refusedForRate());
    }

    @Test
    void theBucketRefillsAtTheRate() {
        SourceGuard g = guard(100, 20, 60, 300);
        admitted(g, "a", 100);
        assertTrue(g.admit("a").overRate());
        advance(10 * MS); // 100/s: one request per 10 ms
        assertEquals(Verdict.ADMIT, g.admit("a"));
        assertTrue(g.admit("a").overRate());
        advance(5 * S); // never more than one second's worth
        assertEquals(100, admitted(g, "a", 150));
    }

    @Test
    void aSourceOverTheRateIsLoggedOncePerMinute() {
        SourceGuard g = guard(1, 20, 60, 300);
        assertEquals(Verdict.ADMIT, g.admit("a"));
        assertEquals(Verdict.OVER_RATE_FIRST, g.admit("a"));
        assertEquals(Verdict.OVER_RATE, g.admit("a"));
        advance(2 * S);
        assertEquals(Verdict.ADMIT, g.admit("a"));
        assertEquals(Verdict.OVER_RATE, g.admit("a"), "refused again within the minute: not logged again");
        advance(61 * S);
        assertEquals(Verdict.ADMIT, g.admit("a"));
        assertEquals(Verdict.OVER_RATE_FIRST, g.admit("a"));
    }

    @Test
    void rateZeroIsOffAndRemembersNothing() {
        SourceGuard g = guard(0, 20, 60, 300);
        assertEquals(100_000, admitted(g, "a", 100_000));
        assertEquals(0, g.tracked());
    }

    @Test
    void failuresWithinTheWindowBanTheSourceForTheDuration() {
        SourceGuard g = guard(500, 3, 60, 300);
        assertEquals(Optional.empty(), g.digestFailed("127.0.0.77"));
        assertEquals(Optional.empty(), g.digestFailed("127.0.0.77"));
        Optional<Ban> ban = g.digestFailed("127.0.0.77");
        assertTrue(ban.isPresent(), "the third failure bans");
        assertEquals(3, ban.get().failures());
        assertEquals(Duration.ofSeconds(300), ban.get().duration());
        assertEquals(wall.now.plusSeconds(300), ban.get().until());
        assertEquals(Verdict.BANNED, g.admit("127.0.0.77"));
        assertEquals(Verdict.ADMIT, g.admit("127.0.0.1"));
        Snapshot s = g.snapshot();
        assertEquals(1, s.bansIssued());
        assertEquals(3, s.digestFailures());
        assertEquals(1, s.droppedWhileBanned());
        assertEquals(List.of(new Ban("127.0.0.77", 3, Duration.ofSeconds(300), wall.now.plusSeconds(300))), s.bannedNow());

        advance(300 * S - 1);
        assertEquals(Verdict.BANNED, g.admit("127.0.0.77"));
        advance(1);
        assertEquals(Verdict.ADMIT, g.admit("127.0.0.77"), "the ban has ended");
        assertEquals(List.of(), g.snapshot().bannedNow());
        assertEquals(Optional.empty(), g.digestFailed("127.0.0.77"), "the count starts again after a ban");
    }

    @Test
    void failuresSpreadBeyondTheWindowDoNotBan() {
        SourceGuard g = guard(500, 3, 60, 300);
        for (int i = 0; i < 10; i++) {
            assertEquals(Optional.empty(), g.digestFailed("a"), "failure " + i);
            advance(31 * S);
        }
        assertEquals(Verdict.ADMIT, g.admit("a"));
        assertEquals(0, g.snapshot().bansIssued());
    }

    @Test
    void aBanHoldsWhenTheRateLimitIsOff() {
        SourceGuard g = guard(0, 2, 60, 300);
        g.digestFailed("a");
        assertTrue(g.digestFailed("a").isPresent());
        assertEquals(Verdict.BANNED, g.admit("a"));
    }

    @Test
    void banFailuresZeroNeverBansButCounts() {
        SourceGuard g = guard(500, 0, 60, 300);
        for (int i = 0; i < 1000; i++) {
            assertEquals(Optional.empty(), g.digestFailed("a"));
        }
        assertEquals(Verdict.ADMIT, g.admit("a"));
        assertEquals(1000, g.snapshot().digestFailures());
    }

    @Test
    void newLimitsApplyToTheNextRequest() {
        SourceGuard g = guard(10, 20, 60, 300);
        assertEquals(10, admitted(g, "a", 20));
        g.limits(new Limits(0, 20, Duration.ofSeconds(60), Duration.ofSeconds(300)));
        assertEquals(20, admitted(g, "a", 20), "limit off");
        g.limits(new Limits(5, 2, Duration.ofSeconds(60), Duration.ofSeconds(10)));
        advance(S);
        assertEquals(5, admitted(g, "a", 20), "the bucket holds the new rate at most");
        g.digestFailed("a");
        assertEquals(Duration.ofSeconds(10), g.digestFailed("a").orElseThrow().duration());
    }

    @Test
    void memoryIsBoundedAndBannedSourcesAreEvictedLast() {
        SourceGuard g = new SourceGuard(new Limits(100, 1, Duration.ofSeconds(60), Duration.ofSeconds(300)),
                nanos::get, wall, 100);
        assertTrue(g.digestFailed("banned").isPresent());
        for (int i = 0; i < 10_000; i++) {
            g.admit("10.0." + (i / 256) + "." + (i % 256));
            advance(MS);
            assertTrue(g.tracked() <= 100, "tracked " + g.tracked());
        }
        assertEquals(Verdict.BANNED, g.admit("banned"), "a flood of new sources does not lift a ban");
    }

    @Test
    void idleSourcesArePurged() {
        SourceGuard g = guard(100, 5, 60, 300);
        g.admit("rate-only");
        g.digestFailed("failed-once");
        g.digestFailed("banned");
        for (int i = 0; i < 4; i++) {
            g.digestFailed("banned");
        }
        advance(2 * S);
        g.purgeExpired();
        assertEquals(2, g.tracked(), "the source with a recent failure and the banned one stay");
        advance(60 * S);
        g.purgeExpired();
        assertEquals(1, g.tracked(), "the failure has left its window");
        advance(300 * S);
        g.purgeExpired();
        assertEquals(0, g.tracked());
    }

    @Test
    void concurrentRequestsOfOneSourceTakeExactlyTheBucket() throws Exception {
        SourceGuard g = guard(1_000, 20, 60, 300);
        int threads = 4;
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> workers = new ArrayList<>();
        AtomicLong ok = new AtomicLong();
        for (int t = 0; t < threads; t++) {
            Thread w = new Thread(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    return;
                }
                ok.addAndGet(admitted(g, "a", 1_000));
            });
            w.start();
            workers.add(w);
        }
        start.countDown();
        for (Thread w : workers) {
            w.join();
        }
        assertEquals(1_000, ok.get(), "the time source stands still: the bucket, no more");
        assertEquals(3_000, g.snapshot().refusedForRate());
    }

    @Test
    void limitsRefuseNegativeValues() {
        try {
            new Limits(-1, 1, Duration.ZERO, Duration.ZERO);
        } catch (IllegalArgumentException expected) {
            return;
        }
        throw new AssertionError("accepted a negative rate");
    }

    @Test
    void untilIsWallTime() {
        wall.now = Instant.parse("2026-12-07T10:00:00Z");
        SourceGuard g = guard(500, 1, 60, 300);
        g.digestFailed("a");
        advance(100 * S);
        assertEquals(Instant.parse("2026-12-07T10:05:00Z"), g.snapshot().bannedNow().get(0).until());
    }
}
