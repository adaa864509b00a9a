package io.glareresolver.endpoint;

import io.glareresolver.protocol.TiebreakValue;
import java.util.Optional;

/**
 * A successful registration. Immutable.
 *
 * @param aor our address of record
 * @param expires granted expiry in seconds
 * @param algorithm the digest algorithm answered (MD5, SHA-256), or null when not challenged
 * @param registrarTiebreak the {@code Glare-Tiebreak} of the 200 OK, if the registrar sent one
 */
public record Registration(String aor, int expires, String algorithm, TiebreakValue registrarTiebreak) {

    public Optional<TiebreakValue> tiebreak() {
        return Optional.ofNullable(registrarTiebreak);
    }
}
