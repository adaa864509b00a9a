package io.glareresolver.cluster.internal;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Who handles the INVITEs between two parties, and which INVITEs (by Call-ID) hold the claim: the
 * value of the shared pairs map, {@code owner|callId,callId,} ({@link FieldText} escaping).
 * Immutable; each change is a new value written with a compare-and-set on the pair's key.
 *
 * @param owner   the node that claimed the pair
 * @param callIds the INVITEs in progress between the two parties, on any node
 */
public record PairClaim(String owner, Set<String> callIds) {

    public PairClaim {
        callIds = Set.copyOf(new LinkedHashSet<>(callIds));
    }

    /** A claim by {@code owner} for one INVITE. */
    public static PairClaim of(String owner, String callId) {
        return new PairClaim(owner, Set.of(callId));
    }

    /**
     * The key of the unordered pair {@code {aorA, aorB}}: both addresses of record in lower case,
     * sorted, joined by a newline (which no AOR contains), so both directions of a crossing meet on
     * one key.
     */
    public static String key(String aorA, String aorB) {
        String a = aorA.toLowerCase(Locale.ROOT);
        String b = aorB.toLowerCase(Locale.ROOT);
        return a.compareTo(b) <= 0 ? a + '\n' + b : b + '\n' + a;
    }

    public PairClaim with(String callId) {
        Set<String> more = new LinkedHashSet<>(callIds);
        more.add(callId);
        return new PairClaim(owner, more);
    }

    public PairClaim without(String callId) {
        Set<String> fewer = new LinkedHashSet<>(callIds);
        fewer.remove(callId);
        return new PairClaim(owner, fewer);
    }

    public String encode() {
        return FieldText.escape(owner) + '|' + FieldText.list(new java.util.TreeSet<>(callIds));
    }

    /** The claim {@link #encode} wrote. */
    public static PairClaim decode(String text) {
        int bar = text.indexOf('|');
        if (bar < 0) {
            throw new IllegalArgumentException("not a pair claim: no owner");
        }
        List<String> ids = FieldText.unlist(text.substring(bar + 1));
        return new PairClaim(FieldText.unescape(text.substring(0, bar)), new LinkedHashSet<>(ids));
    }
}
