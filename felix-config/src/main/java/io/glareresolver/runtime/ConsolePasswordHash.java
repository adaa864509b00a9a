package io.glareresolver.runtime;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Objects;

/**
 * A Web Console password hash, in the encoding the Apache Felix Web Console accepts for the
 * {@code password} property of PID {@code org.apache.felix.webconsole.internal.servlet.OsgiManager}
 * (and for the framework property {@code felix.webconsole.password}):
 * <pre>{sha-256}SALT-ITERATIONS-BASE64</pre>
 * where SALT is lower-case hex, and BASE64 is SHA-256 applied ITERATIONS times, first to the
 * UTF-8 bytes of SALT followed by the password, then to the previous digest. A value of this
 * form is recognised by the console as hashed (it starts with {@code {algorithm}}), so the
 * clear-text password never has to be stored.
 *
 * <p>Immutable; create with {@link #of(String, SecureRandom)} or {@link #parse(String)}.
 */
public final class ConsolePasswordHash {

    /** The console's default algorithm; its name appears lower-case between the braces. */
    static final String ALGORITHM = "SHA-256";
    /** The same iteration count the console itself uses when it hashes a password. */
    static final int ITERATIONS = 1000;
    /** 8 random bytes of salt, as the console does. */
    static final int SALT_BYTES = 8;

    private final String salt;
    private final int iterations;
    private final byte[] digest;

    private ConsolePasswordHash(String salt, int iterations, byte[] digest) {
        this.salt = salt;
        this.iterations = iterations;
        this.digest = digest.clone();
    }

    /** Hashes {@code password} with a fresh random salt. */
    public static ConsolePasswordHash of(String password, SecureRandom random) {
        byte[] saltBytes = new byte[SALT_BYTES];
        random.nextBytes(saltBytes);
        return of(password, HexFormat.of().formatHex(saltBytes), ITERATIONS);
    }

    /** Hashes {@code password} with the given salt and iteration count (deterministic). */
    public static ConsolePasswordHash of(String password, String salt, int iterations) {
        Objects.requireNonNull(password, "password");
        if (salt.isEmpty() || salt.indexOf('-') >= 0) {
            // the console splits the encoded form at '-': a salt must not contain one
            throw new IllegalArgumentException("salt must be non-empty and contain no '-'");
        }
        if (iterations < 1) {
            throw new IllegalArgumentException("iterations must be at least 1");
        }
        return new ConsolePasswordHash(salt, iterations, digest(salt + password, iterations));
    }

    /**
     * Reads an encoded hash written by {@link #encoded()}.
     *
     * @throws IllegalArgumentException if {@code encoded} is not of the form {@code {sha-256}SALT-N-BASE64}
     */
    public static ConsolePasswordHash parse(String encoded) {
        String prefix = "{" + ALGORITHM.toLowerCase(java.util.Locale.ROOT) + "}";
        if (!encoded.startsWith(prefix)) {
            throw new IllegalArgumentException("not a " + prefix + " hash");
        }
        String[] parts = encoded.substring(prefix.length()).split("-", 3);
        if (parts.length != 3) {
            throw new IllegalArgumentException("expected " + prefix + "SALT-ITERATIONS-BASE64");
        }
        try {
            return new ConsolePasswordHash(parts[0], Integer.parseInt(parts[1]),
                    Base64.getDecoder().decode(parts[2]));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("malformed " + prefix + " hash: " + e.getMessage(), e);
        }
    }

    /** True when {@code password} hashes to this value (constant-time comparison). */
    public boolean matches(String password) {
        return MessageDigest.isEqual(digest, digest(salt + password, iterations));
    }

    /** The console's encoding: {@code {sha-256}SALT-ITERATIONS-BASE64}. */
    public String encoded() {
        return "{" + ALGORITHM.toLowerCase(java.util.Locale.ROOT) + "}" + salt + "-" + iterations + "-"
                + Base64.getEncoder().encodeToString(digest);
    }

    @Override
    public String toString() {
        return encoded();
    }

    private static byte[] digest(String saltedPassword, int iterations) {
        try {
            MessageDigest md = MessageDigest.getInstance(ALGORITHM);
            byte[] bytes = saltedPassword.getBytes(StandardCharsets.UTF_8);
            for (int i = 0; i < iterations; i++) {
                md.reset();
                bytes = md.digest(bytes);
            }
            return bytes;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has " + ALGORITHM, e);
        }
    }
}
