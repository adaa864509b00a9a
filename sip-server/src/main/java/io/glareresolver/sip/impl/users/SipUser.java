package io.glareresolver.sip.impl.users;

import java.util.Objects;

import io.glareresolver.sip.impl.auth.DigestAlgorithm;

/**
 * One line of the users file: a SIP user with its endpoint ID and HA1 hashes. No clear-text
 * password exists anywhere. JDK only (used by {@link SipUsersCommand}).
 *
 * @param name      the user part of the AOR
 * @param id        the numeric endpoint ID (unique)
 * @param realm     the realm the hashes were computed for
 * @param ha1Md5    MD5(name:realm:password), lower-case hex
 * @param ha1Sha256 SHA-256(name:realm:password), lower-case hex
 */
public record SipUser(String name, long id, String realm, String ha1Md5, String ha1Sha256) {

    public SipUser {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(realm, "realm");
        if (!DigestAlgorithm.MD5.isHash(ha1Md5)) {
            throw new IllegalArgumentException("ha1-md5 must be 32 lower-case hex digits");
        }
        if (!DigestAlgorithm.SHA_256.isHash(ha1Sha256)) {
            throw new IllegalArgumentException("ha1-sha256 must be 64 lower-case hex digits");
        }
        if (id < 0) {
            throw new IllegalArgumentException("id must not be negative");
        }
    }

    /** Builds a user from a password, which is hashed at once and not kept. */
    public static SipUser withPassword(String name, long id, String realm, char[] password) {
        return new SipUser(name, id, realm, DigestAlgorithm.MD5.ha1(name, realm, password),
                DigestAlgorithm.SHA_256.ha1(name, realm, password));
    }

    public String ha1(DigestAlgorithm alg) {
        return alg == DigestAlgorithm.MD5 ? ha1Md5 : ha1Sha256;
    }

    /** The users-file line of this user. */
    public String line() {
        return name + " " + id + " " + realm + " " + ha1Md5 + " " + ha1Sha256;
    }

    /** Without the hashes: HA1 is password-equivalent for digest and is never logged. */
    @Override
    public String toString() {
        return "SipUser[" + name + ", id=" + id + ", realm=" + realm + "]";
    }
}
