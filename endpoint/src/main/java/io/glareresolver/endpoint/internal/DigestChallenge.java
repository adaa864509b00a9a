package io.glareresolver.endpoint.internal;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Locale;

/**
 * One digest challenge (RFC 7616 / RFC 8760) and the answer to it. RFC 8760 §2.4: "the UAC
 * SHOULD use the topmost header field value that it supports" — the caller passes challenges
 * in order and takes the first {@link #supported() supported} one.
 */
final class DigestChallenge {

    private static final SecureRandom RANDOM = new SecureRandom();

    final String realm;
    final String nonce;
    final String opaque;
    final String algorithm;
    final boolean qopAuth;

    DigestChallenge(String realm, String nonce, String opaque, String algorithm, String qop) {
        this.realm = realm;
        this.nonce = nonce;
        this.opaque = opaque;
        this.algorithm = algorithm == null ? "MD5" : algorithm;
        this.qopAuth = qop != null && java.util.Arrays.stream(qop.split(","))
                .map(s -> s.trim().toLowerCase(Locale.ROOT)).anyMatch("auth"::equals);
    }

    boolean supported() {
        return "MD5".equalsIgnoreCase(algorithm) || "SHA-256".equalsIgnoreCase(algorithm);
    }

    private String javaAlgorithm() {
        return "MD5".equalsIgnoreCase(algorithm) ? "MD5" : "SHA-256";
    }

    private String h(String s) {
        try {
            MessageDigest md = MessageDigest.getInstance(javaAlgorithm());
            return HexFormat.of().formatHex(md.digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String newCnonce() {
        byte[] b = new byte[12];
        RANDOM.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    /**
     * RFC 7616 §3.4.1: response = KD(H(A1), nonce ":" nc ":" cnonce ":" qop ":" H(A2)) with
     * A1 = username ":" realm ":" passwd and A2 = Method ":" request-uri; without qop (RFC 2069
     * compatibility) response = KD(H(A1), nonce ":" H(A2)).
     */
    String response(String user, String password, String method, String uri, String nc, String cnonce) {
        String ha1 = h(user + ":" + realm + ":" + password);
        String ha2 = h(method + ":" + uri);
        if (qopAuth) {
            return h(ha1 + ":" + nonce + ":" + nc + ":" + cnonce + ":auth:" + ha2);
        }
        return h(ha1 + ":" + nonce + ":" + ha2);
    }
}
