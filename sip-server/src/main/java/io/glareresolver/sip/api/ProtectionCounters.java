package io.glareresolver.sip.api;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * What the per-source protection has done (since 1.4.0). Immutable snapshot.
 *
 * @param requestsPerSecond  the limit in force per source address (0: none)
 * @param banDigestFailures  digest failures within {@code banWindowSeconds} that ban a source (0: no bans)
 * @param banWindowSeconds   the window of those failures
 * @param banDurationSeconds how long a ban lasts
 * @param refusedForRate     requests answered 503 (or ACKs dropped) because their source was over the rate
 * @param droppedWhileBanned requests dropped without an answer because their source was banned
 * @param digestFailures     wrong digest answers and unknown users seen (never a request without
 *                           credentials or with a stale nonce)
 * @param bansIssued         bans issued
 * @param sourcesTracked     source addresses the server keeps state for now (bounded)
 * @param banned             the sources banned now, the soonest to be released first
 */
public record ProtectionCounters(int requestsPerSecond, int banDigestFailures, long banWindowSeconds,
                                 long banDurationSeconds, long refusedForRate, long droppedWhileBanned,
                                 long digestFailures, long bansIssued, int sourcesTracked,
                                 List<BannedSource> banned) {

    public ProtectionCounters {
        banned = List.copyOf(banned);
    }

    /**
     * A banned source.
     *
     * @param address  the source IP address
     * @param failures the digest failures that banned it
     * @param until    when the ban ends
     */
    public record BannedSource(String address, int failures, Instant until) {
        public BannedSource {
            Objects.requireNonNull(address, "address");
            Objects.requireNonNull(until, "until");
        }
    }
}
