package io.glareresolver.integrationtests.phone;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;

import org.slf4j.Logger;

import io.glareresolver.glare.api.CrossingCounters;
import io.glareresolver.glare.api.GlareStatus;
import io.glareresolver.integrationtests.felix.BoundedWait;

/**
 * The crossing rounds of the third-party phone tests (baresip, linphone): two phones dial each
 * other at the same wall-clock instant, round after round on a fixed schedule, and every round must
 * end in exactly one session. This keeps the schedule, the simultaneous dialling, the tally of the
 * rounds and the plugin's counters over the run; what a round's outcome is, each phone test reads
 * from its own phone's events.
 */
public final class PhoneCrossingRounds {

    /** The bound of each wait of a round (a dial command, the plugin's pending table). */
    private static final Duration WAIT = Duration.ofSeconds(10);

    /** One user's dialling on a phone, as the phone's remote control sends it. */
    @FunctionalInterface
    public interface Dial {
        void dial() throws IOException;
    }

    private final GlareStatus status;
    private final CrossingCounters before;
    private final int rounds;
    private final int roundMillis;
    private final long start;
    private final List<String> failures = new ArrayList<>();
    private final Map<String, Integer> sessionsOn = new HashMap<>();

    private PhoneCrossingRounds(GlareStatus status, int rounds, int roundMillis) {
        this.status = status;
        this.before = status.counters();
        this.rounds = rounds;
        this.roundMillis = roundMillis;
        // the first round half a second ahead: both dialling threads are ready by then
        this.start = System.currentTimeMillis() + 500;
    }

    /** Schedules {@code rounds} rounds of {@code roundMillis} each, counting the plugin's counters from now. */
    public static PhoneCrossingRounds schedule(GlareStatus status, int rounds, int roundMillis) {
        return new PhoneCrossingRounds(status, rounds, roundMillis);
    }

    /** The wall-clock instant (epoch ms) at which both phones dial in round {@code k}. */
    public long at(int k) {
        return start + (long) k * roundMillis;
    }

    /**
     * Both phones dial at the wall-clock instant {@code at}, each from a thread of its own (a
     * crossing needs the two INVITEs on the wire together); returns once both dial commands went out.
     */
    public static void dialTogether(long at, Dial a, Dial b) throws Exception {
        CompletableFuture<Void> first = CompletableFuture.runAsync(() -> dialAt(a, at));
        CompletableFuture<Void> second = CompletableFuture.runAsync(() -> dialAt(b, at));
        first.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        second.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    }

    private static void dialAt(Dial dial, long epochMillis) {
        long wait = epochMillis - System.currentTimeMillis();
        if (wait > 0) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(wait));
        }
        try {
            dial.dial();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A round that did not end in one session, with what the phones reported. */
    public void failed(String round) {
        failures.add(round);
    }

    /** A round that ended in one session: the session is {@code whose} INVITE ("alice's INVITE"). */
    public void oneSession(String whose) {
        sessionsOn.merge(whose, 1, Integer::sum);
    }

    /**
     * After the last round: waits until the plugin holds no INVITE, logs the tally and the plugin's
     * counters over the run ({@code what}: phone and answer mode; {@code note}: appended to the
     * tally), and fails with every failed round, the plugin's last crossings and the phones' logs
     * ({@code phoneLogs}, read only then).
     */
    public void assertEveryRoundOneSession(Logger log, String what, String note, Supplier<String> phoneLogs)
            throws TimeoutException {
        awaitQuiet(status);
        CrossingCounters after = status.counters();
        log.info("{}: {} of {} rounds with exactly one session {}{}; plugin: {} crossings seen, {} sessions, {} abnormal",
                what, rounds - failures.size(), rounds, sessionsOn, note,
                after.crossingsSeen() - before.crossingsSeen(), after.sessionsEstablished() - before.sessionsEstablished(),
                after.abnormalTotal() - before.abnormalTotal());
        assertTrue(failures.isEmpty(), String.join("\n", failures) + "\n" + status.recentCrossings(2) + phoneLogs.get());
    }

    /** Waits (bounded) until the plugin holds no INVITE: the last round's calls are over at the server. */
    private static void awaitQuiet(GlareStatus status) throws TimeoutException {
        BoundedWait.untilTrue("no INVITE pending at the plugin", WAIT, () -> status.pendingInvites() == 0);
    }
}
