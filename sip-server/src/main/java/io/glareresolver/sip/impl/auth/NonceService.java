package io.glareresolver.sip.impl.auth;

import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Issues and checks digest nonces. A nonce is {@code base64url(issued-millis, random, HMAC)}: the
 * server can verify it and its age without storing it (RFC 7616 §3.3 suggests a time stamp in the
 * nonce). Nonce-counts are remembered per nonce for its lifetime so a replayed {@code nc} is refused.
 */
public final class NonceService {

    private static final int RANDOM_BYTES = 8;
    private static final int MAC_BYTES = 16;

    private final SecureRandom random = new SecureRandom();
    private final byte[] secret = new byte[32];
    private final Clock clock;
    private volatile Duration lifetime;
    /** nonce → highest nonce-count seen; entries die with their nonce. */
    private final Map<String, Long> counts = new ConcurrentHashMap<>();
    private volatile long nextPurge;

    public NonceService(Duration lifetime, Clock clock) {
        this.clock = clock;
        this.lifetime = lifetime;
        random.nextBytes(secret);
    }

    public void lifetime(Duration lifetime) {
        this.lifetime = lifetime;
    }

    public String issue() {
        ByteBuffer b = ByteBuffer.allocate(8 + RANDOM_BYTES + MAC_BYTES);
        b.putLong(clock.millis());
        byte[] r = new byte[RANDOM_BYTES];
        random.nextBytes(r);
        b.put(r);
        b.put(mac(b.array(), 8 + RANDOM_BYTES));
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b.array());
    }

    /**
     * Checks a nonce and its nonce-count. RFC 7616 §3.4: "The nc value is the hexadecimal count of
     * the number of requests (including the current request) that the client has sent with the
     * nonce value in this request" — so a count not above the last one seen is a replay.
     *
     * @param nc the nc parameter (8 hex digits), or null when the client used no qop
     */
    public NonceVerdict check(String nonce, String nc) {
        byte[] raw;
        try {
            raw = Base64.getUrlDecoder().decode(nonce);
        } catch (IllegalArgumentException e) {
            return NonceVerdict.UNKNOWN;
        }
        if (raw.length != 8 + RANDOM_BYTES + MAC_BYTES) {
            return NonceVerdict.UNKNOWN;
        }
        byte[] expected = mac(raw, 8 + RANDOM_BYTES);
        byte[] given = java.util.Arrays.copyOfRange(raw, 8 + RANDOM_BYTES, raw.length);
        if (!MessageDigest.isEqual(expected, given)) {
            return NonceVerdict.UNKNOWN;
        }
        long issued = ByteBuffer.wrap(raw).getLong();
        long now = clock.millis();
        if (now - issued > lifetime.toMillis() || issued > now + 1000) {
            return NonceVerdict.STALE;
        }
        purge(now);
        long count;
        if (nc == null) {
            count = 1; // RFC 2069 style: one use only
        } else {
            try {
                count = Long.parseLong(nc, 16);
            } catch (NumberFormatException e) {
                return NonceVerdict.REPLAYED;
            }
        }
        long[] accepted = {0};
        counts.compute(nonce + "|" + issued, (k, last) -> {
            if (last == null || count > last) {
                accepted[0] = 1;
                return count;
            }
            return last;
        });
        return accepted[0] == 1 ? NonceVerdict.VALID : NonceVerdict.REPLAYED;
    }

    /** Forgets a nonce-count entry once its nonce is past its lifetime (at most once a second). */
    private void purge(long now) {
        if (now < nextPurge) {
            return;
        }
        nextPurge = now + 1000;
        long limit = lifetime.toMillis();
        for (Iterator<String> it = counts.keySet().iterator(); it.hasNext(); ) {
            String k = it.next();
            long issued = Long.parseLong(k.substring(k.lastIndexOf('|') + 1));
            if (now - issued > limit) {
                it.remove();
            }
        }
    }

    /** Nonces remembered for replay checks (bounded by the issue rate times the lifetime). */
    public int remembered() {
        return counts.size();
    }

    private byte[] mac(byte[] data, int len) {
        try {
            Mac m = Mac.getInstance("HmacSHA256");
            m.init(new SecretKeySpec(secret, "HmacSHA256"));
            m.update(data, 0, len);
            return java.util.Arrays.copyOf(m.doFinal(), MAC_BYTES);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is required of every Java platform", e);
        }
    }
}
