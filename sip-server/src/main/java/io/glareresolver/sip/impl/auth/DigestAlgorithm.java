package io.glareresolver.sip.impl.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Optional;

/**
 * Digest algorithms the server offers (RFC 8760 §2.1 adds SHA-256 to SIP; RFC 7616 §3.3 defines
 * the computation). JDK only: also used by the users command.
 */
public enum DigestAlgorithm {
    /** RFC 8760 §2.4: "the UAS ... SHOULD list [challenges] in order of preference": SHA-256 first. */
    SHA_256("SHA-256", "SHA-256", 64),
    MD5("MD5", "MD5", 32);

    private final String token;
    private final String jdkName;
    private final ThreadLocal<MessageDigest> digests;
    private final int hexLength;

    DigestAlgorithm(String token, String jdkName, int hexLength) {
        this.token = token;
        this.jdkName = jdkName;
        // one instance per thread (digest() resets it): a provider lookup per hash showed in the profile
        this.digests = ThreadLocal.withInitial(() -> {
            try {
                return MessageDigest.getInstance(jdkName);
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(jdkName + " is required of every Java platform", e);
            }
        });
        this.hexLength = hexLength;
    }

    /** The value of the {@code algorithm} parameter. */
    public String token() {
        return token;
    }

    /** Length of a hash in lower-case hex. */
    public int hexLength() {
        return hexLength;
    }

    /**
     * RFC 7616 §3.4.1: "If the algorithm parameter is not present, it is assumed to be MD5" —
     * so a null or empty token means MD5.
     */
    public static Optional<DigestAlgorithm> parse(String token) {
        if (token == null || token.isBlank()) {
            return Optional.of(MD5);
        }
        String t = token.trim().toUpperCase(Locale.ROOT);
        for (DigestAlgorithm a : values()) {
            if (a.token.equals(t)) {
                return Optional.of(a);
            }
        }
        return Optional.empty();
    }

    /** H(data): the hash of the UTF-8 bytes, lower-case hex. */
    public String hash(String data) {
        return HexFormat.of().formatHex(digests.get().digest(data.getBytes(StandardCharsets.UTF_8)));
    }

    /** RFC 2617 §3.2.2.2: {@code A1 = unq(username-value) ":" unq(realm-value) ":" passwd}; HA1 = H(A1). */
    public String ha1(String user, String realm, char[] password) {
        return hash(user + ":" + realm + ":" + new String(password));
    }

    /** True if {@code hex} looks like a hash of this algorithm. */
    public boolean isHash(String hex) {
        return hex != null && hex.length() == hexLength && hex.chars().allMatch(c -> (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
    }
}
