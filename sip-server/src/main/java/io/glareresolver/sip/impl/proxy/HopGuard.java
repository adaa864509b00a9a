package io.glareresolver.sip.impl.proxy;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import io.glareresolver.sip.impl.stack.SipConstants;

/**
 * Max-Forwards and loop checks of a request a proxy is about to forward (RFC 3261 §16.3 steps 3
 * and 4). Plain Java: the caller passes the values, not the message.
 */
public final class HopGuard {

    /** The verdict, with the response status it calls for. */
    public enum Verdict {
        FORWARD(0, null),
        /** §16.3 step 3: "If the Max-Forwards value is zero, the element MUST NOT forward the request ... and return 483 (Too many hops)". */
        TOO_MANY_HOPS(483, "Too Many Hops"),
        /** §16.3 step 4: "If the parameters match, the request has looped ... the element MUST return 482 (Loop Detected)". */
        LOOP_DETECTED(482, "Loop Detected");

        private final int status;
        private final String reason;

        Verdict(int status, String reason) {
            this.status = status;
            this.reason = reason;
        }

        public int status() {
            return status;
        }

        public String reason() {
            return reason;
        }
    }

    /** One Via of the received request: its sent-by ({@code host:port}) and branch. */
    public record Hop(String sentBy, String branch) {
    }

    private HopGuard() {
    }

    /**
     * @param maxForwards the received Max-Forwards, or null if absent
     * @param vias        the received Vias, top first
     * @param ourSentBys  our own sent-by values, as {@code SipContext.sentBy} writes them (lower case, IPv6 as {@code [::1]:5060}); the Hops must be written the same way
     * @param loopHash    {@link #loopHash} of the received request
     */
    public static Verdict check(Integer maxForwards, List<Hop> vias, Set<String> ourSentBys, String loopHash) {
        if (maxForwards != null && maxForwards <= 0) {
            return Verdict.TOO_MANY_HOPS;
        }
        String ours = branchPrefix(loopHash);
        for (Hop v : vias) {
            // a Via of ours with the branch we would compute now: looped; with another: spiral
            if (v.sentBy() != null && ourSentBys.contains(v.sentBy().toLowerCase(Locale.ROOT))
                    && v.branch() != null && v.branch().startsWith(ours)) {
                return Verdict.LOOP_DETECTED;
            }
        }
        return Verdict.FORWARD;
    }

    /**
     * §16.6 step 8: "Max-Forwards ... If the copy contains a Max-Forwards header field, the proxy
     * MUST decrement its value by one (1). If the copy does not contain a Max-Forwards header
     * field, the proxy MUST add one with a field value, which SHOULD be 70."
     */
    public static int nextMaxForwards(Integer received) {
        return received == null ? SipConstants.DEFAULT_MAX_FORWARDS : received - 1;
    }

    /**
     * The loop-detection part of our branch (§16.6 step 8): a hash over the fields that identify
     * the request as received — Request-URI, From tag, To tag, Call-ID and CSeq number. (Not the
     * top Via: a request that comes back to us carries ours on top.)
     */
    public static String loopHash(String requestUri, String fromTag, String toTag, String callId, long cseq) {
        String in = requestUri + "|" + fromTag + "|" + toTag + "|" + callId + "|" + cseq;
        byte[] digest = SHA_256.get().digest(in.getBytes(StandardCharsets.UTF_8)); // digest() resets it
        return HexFormat.of().formatHex(digest, 0, 8);
    }

    /** One SHA-256 per thread: a provider lookup per request showed in the profile (issue 8). */
    private static final ThreadLocal<MessageDigest> SHA_256 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every Java platform", e);
        }
    });

    /** Branches we create start with this for a request with this loop hash. */
    public static String branchPrefix(String loopHash) {
        return SipConstants.BRANCH_PREFIX + loopHash + ".";
    }
}
