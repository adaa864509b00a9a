package io.glareresolver.sip.impl.screen;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * Per-source protection of the server, in the manner of Kamailio's pike (requests per source over a
 * short interval) and an htable of failed logins (ban after repeated digest failures). Keyed by the
 * source IP address as a string. Plain Java, thread-safe; {@link #admit} is the hot path (one map
 * look-up and one uncontended lock per request).
 * <ul>
 * <li>Rate: a token bucket per source holding up to {@code requestsPerSecond} requests and refilled
 * at that rate; a request that finds it empty is over the rate. RFC 3261 §21.5.4: 503 means "The
 * server is temporarily unable to process the request due to a temporary overloading"; RFC 7339
 * §1 lets a server answer overload that way for the sources that cause it.</li>
 * <li>Ban: {@code banFailures} digest failures (wrong answer, unknown user) within {@code banWindow}
 * of the first of them ban the source for {@code banDuration}: every request from it is dropped.</li>
 * <li>Memory: at most {@code maxSources} sources (plus a few being added concurrently); at the cap
 * the idle ones are purged, then the stalest tenth is evicted (sources not banned first).</li>
 * </ul>
 */
public final class SourceGuard {

    /** Sources tracked at most (each costs about 100 bytes). */
    public static final int MAX_SOURCES = 10_000;
    /** A source over the rate is logged at most once per this interval. */
    static final long LOG_INTERVAL_NANOS = Duration.ofMinutes(1).toNanos();
    private static final long SECOND = 1_000_000_000L;

    /**
     * @param requestsPerSecond requests a source may send per second (and in one burst); 0: no limit
     * @param banFailures       digest failures that ban a source; 0: no bans
     * @param banWindow         the failures must fall within this time of the first
     * @param banDuration       how long a ban lasts
     */
    public record Limits(int requestsPerSecond, int banFailures, Duration banWindow, Duration banDuration) {
        public Limits {
            Objects.requireNonNull(banWindow, "banWindow");
            Objects.requireNonNull(banDuration, "banDuration");
            if (requestsPerSecond < 0 || banFailures < 0 || banWindow.isNegative() || banDuration.isNegative()) {
                throw new IllegalArgumentException("limits must not be negative");
            }
        }
    }

    /** What to do with a request. */
    public enum Verdict {
        ADMIT,
        /** Over the rate: refuse (503); the source was refused before within {@link #LOG_INTERVAL_NANOS}. */
        OVER_RATE,
        /** Over the rate, and the first refusal of this source for a while: refuse and log it. */
        OVER_RATE_FIRST,
        /** Banned: drop silently. */
        BANNED;

        public boolean overRate() {
            return this == OVER_RATE || this == OVER_RATE_FIRST;
        }
    }

    /** A ban: the source, the failures that caused it, and when it ends. */
    public record Ban(String source, int failures, Duration duration, Instant until) {
    }

    /** The counters since this guard was made, and the sources banned now (soonest to end first). */
    public record Snapshot(long refusedForRate, long droppedWhileBanned, long digestFailures, long bansIssued,
                           int sourcesTracked, List<Ban> bannedNow) {
        public Snapshot {
            bannedNow = List.copyOf(bannedNow);
        }
    }

    private final LongSupplier nanoTime;
    private final Clock wallClock;
    private final int maxSources;
    private final ConcurrentHashMap<String, Source> sources = new ConcurrentHashMap<>();
    private final LongAdder refusedForRate = new LongAdder();
    private final LongAdder droppedWhileBanned = new LongAdder();
    private final LongAdder digestFailures = new LongAdder();
    private final LongAdder bansIssued = new LongAdder();
    private final Object eviction = new Object();
    private volatile Limits limits;

    public SourceGuard(Limits limits, LongSupplier nanoTime, Clock wallClock) {
        this(limits, nanoTime, wallClock, MAX_SOURCES);
    }

    public SourceGuard(Limits limits, LongSupplier nanoTime, Clock wallClock, int maxSources) {
        if (maxSources < 10) {
            throw new IllegalArgumentException("maxSources must be at least 10");
        }
        this.limits = Objects.requireNonNull(limits, "limits");
        this.nanoTime = nanoTime;
        this.wallClock = wallClock;
        this.maxSources = maxSources;
    }

    /** New limits, in force from the next request; a ban already issued keeps its end. */
    public void limits(Limits next) {
        limits = Objects.requireNonNull(next, "limits");
    }

    public Limits limits() {
        return limits;
    }

    /** The verdict on one request from {@code source}, counted. */
    public Verdict admit(String source) {
        Limits l = limits;
        Source s = sources.get(source);
        if (s == null) {
            if (l.requestsPerSecond() == 0) {
                return Verdict.ADMIT; // no rate to keep and no ban: nothing to remember
            }
            long now = nanoTime.getAsLong();
            s = track(source, now, l);
            return count(s.admit(now, l));
        }
        return count(s.admit(nanoTime.getAsLong(), l));
    }

    private Verdict count(Verdict v) {
        switch (v) {
            case OVER_RATE, OVER_RATE_FIRST -> refusedForRate.increment();
            case BANNED -> droppedWhileBanned.increment();
            default -> {
            }
        }
        return v;
    }

    /**
     * Counts a digest failure of {@code source} (a wrong answer or an unknown user; never a missing
     * answer or a stale nonce).
     *
     * @return the ban this failure issued, if it was the one that reached the limit
     */
    public Optional<Ban> digestFailed(String source) {
        digestFailures.increment();
        Limits l = limits;
        if (l.banFailures() == 0) {
            return Optional.empty();
        }
        long now = nanoTime.getAsLong();
        Source s = sources.get(source);
        if (s == null) {
            s = track(source, now, l);
        }
        int failures = s.failed(now, l);
        if (failures == 0) {
            return Optional.empty();
        }
        bansIssued.increment();
        return Optional.of(new Ban(source, failures, l.banDuration(), wallClock.instant().plus(l.banDuration())));
    }

    /** Forgets the sources whose state has lapsed (bucket full again, no failures in a window, no ban). */
    public void purgeExpired() {
        long now = nanoTime.getAsLong();
        Limits l = limits;
        sources.entrySet().removeIf(e -> e.getValue().idle(now, l));
    }

    public Snapshot snapshot() {
        long now = nanoTime.getAsLong();
        Instant wall = wallClock.instant();
        List<Ban> banned = new ArrayList<>();
        for (Map.Entry<String, Source> e : sources.entrySet()) {
            Source s = e.getValue();
            synchronized (s) {
                if (s.banned && now - s.bannedUntil < 0) {
                    banned.add(new Ban(e.getKey(), s.banFailures, Duration.ofNanos(s.bannedUntil - s.bannedAt),
                            wall.plusNanos(s.bannedUntil - now)));
                }
            }
        }
        banned.sort(Comparator.comparing(Ban::until));
        return new Snapshot(refusedForRate.sum(), droppedWhileBanned.sum(), digestFailures.sum(), bansIssued.sum(),
                sources.size(), banned);
    }

    /** Sources tracked now (tests). */
    int tracked() {
        return sources.size();
    }

    private Source track(String source, long now, Limits l) {
        if (sources.size() >= maxSources) {
            makeRoom(now, l);
        }
        return sources.computeIfAbsent(source, k -> new Source(now, l));
    }

    /** At the cap: purge the idle sources; if that is not a tenth of the cap, evict the stalest. */
    private void makeRoom(long now, Limits l) {
        synchronized (eviction) {
            if (sources.size() < maxSources) {
                return; // another thread made room
            }
            sources.entrySet().removeIf(e -> e.getValue().idle(now, l));
            int target = maxSources - maxSources / 10;
            if (sources.size() <= target) {
                return;
            }
            record Aged(String source, boolean banned, long lastSeen) {
            }
            List<Aged> all = new ArrayList<>(sources.size());
            for (Map.Entry<String, Source> e : sources.entrySet()) {
                Source s = e.getValue();
                synchronized (s) {
                    all.add(new Aged(e.getKey(), s.banned && now - s.bannedUntil < 0, s.lastSeen));
                }
            }
            // sources not banned go first, the longest unseen first (nanoTime values compare by difference)
            all.sort(Comparator.comparing(Aged::banned).thenComparingLong(a -> a.lastSeen() - now));
            for (int i = 0; i < all.size() && sources.size() > target; i++) {
                sources.remove(all.get(i).source());
            }
        }
    }

    /** One source's state; every access holds its monitor (uncontended but for one source's own requests). */
    private static final class Source {
        long lastSeen;
        double tokens;
        long refilledAt;
        long lastRefusalLogged;
        boolean refusalLogged;
        int failures;
        long failuresSince;
        boolean banned;
        long bannedAt;
        long bannedUntil;
        int banFailures;

        Source(long now, Limits l) {
            lastSeen = now;
            tokens = l.requestsPerSecond();
            refilledAt = now;
        }

        synchronized Verdict admit(long now, Limits l) {
            lastSeen = now;
            if (banned) {
                if (now - bannedUntil < 0) {
                    return Verdict.BANNED;
                }
                banned = false;
            }
            int rate = l.requestsPerSecond();
            if (rate == 0) {
                return Verdict.ADMIT;
            }
            long elapsed = now - refilledAt;
            refilledAt = now;
            if (elapsed > 0) {
                tokens = Math.min(rate, tokens + (double) elapsed * rate / SECOND);
            } else {
                tokens = Math.min(rate, tokens);
            }
            if (tokens >= 1) {
                tokens -= 1;
                return Verdict.ADMIT;
            }
            if (!refusalLogged || now - lastRefusalLogged >= LOG_INTERVAL_NANOS) {
                refusalLogged = true;
                lastRefusalLogged = now;
                return Verdict.OVER_RATE_FIRST;
            }
            return Verdict.OVER_RATE;
        }

        /** Counts a failure; the failures that reached the limit if it bans the source now, else 0. */
        synchronized int failed(long now, Limits l) {
            lastSeen = now;
            if (banned) {
                if (now - bannedUntil < 0) {
                    return 0; // admitted just before its ban: already banned
                }
                banned = false;
            }
            if (failures == 0 || now - failuresSince > l.banWindow().toNanos()) {
                failures = 0;
                failuresSince = now;
            }
            failures++;
            if (failures < l.banFailures()) {
                return 0;
            }
            int reached = failures;
            failures = 0;
            banned = true;
            bannedAt = now;
            bannedUntil = now + l.banDuration().toNanos();
            banFailures = reached;
            return reached;
        }

        /** Nothing to remember: not banned, no failures within the window, and the bucket full again. */
        synchronized boolean idle(long now, Limits l) {
            if (banned && now - bannedUntil < 0) {
                return false;
            }
            if (failures > 0 && now - failuresSince <= l.banWindow().toNanos()) {
                return false;
            }
            if (refusalLogged && now - lastRefusalLogged < LOG_INTERVAL_NANOS) {
                return false; // forgetting it would log its next refusal again at once
            }
            return now - lastSeen >= SECOND;
        }
    }
}
