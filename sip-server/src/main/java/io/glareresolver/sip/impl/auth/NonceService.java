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
import java.util.concurrent.ConcurrentSkipListMap;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Issues and checks digest nonces. A nonce is {@code base64url(issued-millis, random, HMAC)}: the
 * server can verify it and its age without storing it (RFC 7616 §3.3 suggests a time stamp in the
 * nonce). Nonce-counts are remembered per nonce for its lifetime so a replayed {@code nc} is refused,
 * in a table of bounded size.
 */
public final class NonceService {

    private static final int RANDOM_BYTES = 8;
    private static final int MAC_BYTES = 16;

    /**
     * Default bound of the nonce-count table. Only answers with the right password add an entry
     * (see {@link DigestVerifier}), so an unauthenticated flood adds none; a flood of correct
     * answers from real accounts is bounded by this.
     */
    public static final int DEFAULT_MAX_REMEMBERED = 200_000;

    private final SecureRandom random = new SecureRandom();
    private final byte[] secret = new byte[32];
    /** One keyed Mac per thread: looking up the provider and keying it per nonce showed in the profile. */
    private final ThreadLocal<Mac> macs = ThreadLocal.withInitial(this::newMac);
    private final Clock clock;
    private final int maxRemembered;
    private volatile Duration lifetime;
    /** "issued-millis (zero-padded)|nonce" → highest nonce-count seen; sorted oldest first, entries die with their nonce. */
    private final ConcurrentSkipListMap<String, Long> counts = new ConcurrentSkipListMap<>();
    /** Nonces issued at or before this instant lost their count entry to the bound: they are stale. */
    private volatile long evictedUpTo = Long.MIN_VALUE;
    private volatile long nextPurge;

    public NonceService(Duration lifetime, Clock clock) {
        this(lifetime, clock, DEFAULT_MAX_REMEMBERED);
    }

    /** @param maxRemembered bound of the nonce-count table (tests use a small one) */
    public NonceService(Duration lifetime, Clock clock, int maxRemembered) {
        if (maxRemembered < 1) {
            throw new IllegalArgumentException("maxRemembered must be positive");
        }
        this.clock = clock;
        this.lifetime = lifetime;
        this.maxRemembered = maxRemembered;
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
     * Checks a nonce without remembering anything: ours (HMAC), and within its lifetime.
     *
     * @return VALID, STALE or UNKNOWN (never REPLAYED: that needs the count, see {@link #check})
     */
    public NonceVerdict verify(String nonce) {
        long issued = issuedAt(nonce);
        if (issued == Long.MIN_VALUE) {
            return NonceVerdict.UNKNOWN;
        }
        long now = clock.millis();
        if (now - issued > lifetime.toMillis() || issued > now + 1000 || issued <= evictedUpTo) {
            return NonceVerdict.STALE;
        }
        return NonceVerdict.VALID;
    }

    /**
     * Checks a nonce and its nonce-count, and remembers the count. RFC 7616 §3.4: "The nc value is
     * the hexadecimal count of the number of requests (including the current request) that the
     * client has sent with the nonce value in this request" — so a count not above the last one
     * seen is a replay. Call it only for an answer whose digest matched (a wrong password must not
     * cost memory).
     *
     * <p>The table is bounded: when it is full, the oldest nonce's entry goes and every nonce issued
     * up to then counts as stale from now on, so no evicted nonce can be replayed. RFC 7616 §3.3:
     * with stale=TRUE the client "may wish to simply retry the request with a new encrypted
     * response, without re-prompting the user for a new username and password".
     *
     * @param nc the nc parameter (8 hex digits), or null when the client used no qop
     */
    public NonceVerdict check(String nonce, String nc) {
        NonceVerdict v = verify(nonce);
        if (v != NonceVerdict.VALID) {
            return v;
        }
        long issued = issuedAt(nonce);
        long now = clock.millis();
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
        String key = countKey(issued, nonce);
        long[] accepted = {0};
        counts.compute(key, (k, last) -> {
            if (last == null || count > last) {
                accepted[0] = 1;
                return count;
            }
            return last;
        });
        while (counts.size() > maxRemembered) {
            Map.Entry<String, Long> oldest = counts.pollFirstEntry();
            if (oldest == null) {
                break;
            }
            long gone = Long.parseLong(oldest.getKey().substring(0, oldest.getKey().indexOf('|')));
            synchronized (this) {
                evictedUpTo = Math.max(evictedUpTo, gone);
            }
        }
        if (issued <= evictedUpTo) {
            return NonceVerdict.STALE; // this one's own entry went with the bound
        }
        return accepted[0] == 1 ? NonceVerdict.VALID : NonceVerdict.REPLAYED;
    }

    /** The issue time of one of our nonces, or Long.MIN_VALUE if it is not ours. */
    private long issuedAt(String nonce) {
        if (nonce == null) {
            return Long.MIN_VALUE;
        }
        byte[] raw;
        try {
            raw = Base64.getUrlDecoder().decode(nonce);
        } catch (IllegalArgumentException e) {
            return Long.MIN_VALUE;
        }
        if (raw.length != 8 + RANDOM_BYTES + MAC_BYTES) {
            return Long.MIN_VALUE;
        }
        byte[] expected = mac(raw, 8 + RANDOM_BYTES);
        byte[] given = java.util.Arrays.copyOfRange(raw, 8 + RANDOM_BYTES, raw.length);
        if (!MessageDigest.isEqual(expected, given)) {
            return Long.MIN_VALUE;
        }
        return ByteBuffer.wrap(raw).getLong();
    }

    /** Forgets nonce-count entries once their nonce is past its lifetime (at most once a second). */
    private void purge(long now) {
        if (now < nextPurge) {
            return;
        }
        nextPurge = now + 1000;
        long limit = lifetime.toMillis();
        // oldest first: stop at the first entry still alive
        for (Iterator<String> it = counts.keySet().iterator(); it.hasNext(); ) {
            String k = it.next();
            long issued = Long.parseLong(k.substring(0, k.indexOf('|')));
            if (now - issued <= limit) {
                break;
            }
            it.remove();
        }
    }

    /** Nonces remembered for replay checks: at most the bound given at construction. */
    public int remembered() {
        return counts.size();
    }

    /**
     * The replay table's key: the issue time zero-padded to 20 digits (so the sorted map evicts the
     * oldest first), then the nonce. Built by hand: {@code String.format} was 4 % of the server's
     * CPU under load (JFR, issue 8).
     */
    static String countKey(long issued, String nonce) {
        String t = Long.toString(issued);
        StringBuilder b = new StringBuilder(21 + nonce.length());
        for (int i = t.length(); i < 20; i++) {
            b.append('0');
        }
        return b.append(t).append('|').append(nonce).toString();
    }

    private byte[] mac(byte[] data, int len) {
        Mac m = macs.get(); // doFinal leaves it reset for the next use
        m.update(data, 0, len);
        return java.util.Arrays.copyOf(m.doFinal(), MAC_BYTES);
    }

    private Mac newMac() {
        try {
            Mac m = Mac.getInstance("HmacSHA256");
            m.init(new SecretKeySpec(secret, "HmacSHA256"));
            return m;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is required of every Java platform", e);
        }
    }
}
