package io.glareresolver.integrationtests.felix;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;

/**
 * Writes the SIP server's users file ({@code users.file}): one user per line,
 * {@code name id realm ha1-md5 ha1-sha256}, where {@code ha1 = hex(H(user ":" realm ":" password))}
 * (RFC 2617 §3.2.2.2, RFC 8760 §3). Test data only: the runtime's own tool is {@code bin/sip-users}.
 * The file is replaced atomically, so the server never reads half a file.
 */
public final class SipUsersFile {

    /** A user as the test knows it, password included. */
    public record SipUser(String name, String password, long endpointId) {
        public SipUser {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(password, "password");
            if (endpointId < 0) {
                throw new IllegalArgumentException("endpoint id must be >= 0: " + endpointId);
            }
        }
    }

    private final Path file;
    private final String realm;
    private final List<SipUser> users = new ArrayList<>();

    public SipUsersFile(Path file, String realm) {
        this.file = Objects.requireNonNull(file, "file");
        this.realm = Objects.requireNonNull(realm, "realm");
    }

    public Path file() {
        return file;
    }

    /** Adds users and rewrites the file with every user added so far. */
    public synchronized SipUsersFile write(SipUser... added) {
        users.addAll(List.of(added));
        StringBuilder text = new StringBuilder();
        for (SipUser user : users) {
            text.append(user.name()).append(' ').append(user.endpointId()).append(' ').append(realm).append(' ')
                    .append(ha1("MD5", user)).append(' ').append(ha1("SHA-256", user)).append('\n');
        }
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            Files.writeString(tmp, text, StandardCharsets.UTF_8);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the SIP users file " + file, e);
        }
        return this;
    }

    /** {@code hex(H(user ":" realm ":" password))} with H = MD5 or SHA-256. */
    public String ha1(String algorithm, SipUser user) {
        try {
            MessageDigest digest = MessageDigest.getInstance(algorithm);
            byte[] hash = digest.digest((user.name() + ":" + realm + ":" + user.password()).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(hash);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(algorithm + " missing from the JDK", e);
        }
    }
}
