package io.glareresolver.sip.impl.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Function;

import io.glareresolver.sip.impl.users.SipUser;

/**
 * Checks digest credentials against the users' HA1 hashes (RFC 2617 §3.2.2, RFC 8760). Plain Java.
 */
public final class DigestVerifier {

    /** The outcome and, when accepted, the user. */
    public record Result(AuthOutcome outcome, Optional<SipUser> user) {
        static Result of(AuthOutcome o) {
            return new Result(o, Optional.empty());
        }
    }

    private final NonceService nonces;

    public DigestVerifier(NonceService nonces) {
        this.nonces = nonces;
    }

    /**
     * @param creds  the credentials for our realm, or null if the request carried none
     * @param method the request method (A2 = Method ":" digest-uri-value)
     * @param realm  our realm
     * @param users  user look-up by name
     */
    public Result verify(DigestCredentials creds, String method, String realm, Function<String, Optional<SipUser>> users) {
        return verify(creds, method, realm, users, java.util.EnumSet.allOf(DigestAlgorithm.class));
    }

    /** As above, accepting only the {@code offered} algorithms (an answer with another is challenged afresh). */
    public Result verify(DigestCredentials creds, String method, String realm, Function<String, Optional<SipUser>> users,
                         java.util.Collection<DigestAlgorithm> offered) {
        return verify(creds, method, realm, users, offered, null);
    }

    /**
     * As above; with a {@code requestUri}, a good answer whose digest {@code uri} names another
     * resource is {@link AuthOutcome#URI_MISMATCH} (checked once the response matched: it cannot
     * tell anything about the password).
     */
    public Result verify(DigestCredentials creds, String method, String realm, Function<String, Optional<SipUser>> users,
                         java.util.Collection<DigestAlgorithm> offered, String requestUri) {
        if (creds == null) {
            return Result.of(AuthOutcome.MISSING);
        }
        if (!realm.equals(creds.realm())) {
            return Result.of(AuthOutcome.MISSING);
        }
        Optional<DigestAlgorithm> alg = DigestAlgorithm.parse(creds.algorithm());
        if (alg.isEmpty() || !offered.contains(alg.get())) {
            return Result.of(AuthOutcome.BAD_CHALLENGE_ANSWER);
        }
        // we offer qop="auth" only; RFC 2617 §3.2.2: a client that was offered qop MUST use it
        if (creds.qop() == null || !"auth".equals(creds.qop().toLowerCase(Locale.ROOT))
                || creds.nc() == null || creds.cnonce() == null) {
            return Result.of(AuthOutcome.BAD_CHALLENGE_ANSWER);
        }
        Optional<SipUser> user = users.apply(creds.username());
        if (user.isEmpty() || !user.get().realm().equals(realm)) {
            return Result.of(AuthOutcome.BAD_CREDENTIALS);
        }
        String expected = DigestCalculation.response(alg.get(), user.get().ha1(alg.get()), method, creds.uri(),
                creds.nonce(), creds.nc(), creds.cnonce(), creds.qop());
        boolean match = MessageDigest.isEqual(expected.getBytes(StandardCharsets.US_ASCII),
                creds.response().toLowerCase(Locale.ROOT).getBytes(StandardCharsets.US_ASCII));
        // check the nonce only after the response: a replay with a wrong password is a wrong password.
        // Only a matching answer is counted (remembered): a flood of wrong answers costs no memory.
        NonceVerdict nonce = match ? nonces.check(creds.nonce(), creds.nc()) : nonces.verify(creds.nonce());
        if (nonce == NonceVerdict.UNKNOWN) {
            return Result.of(AuthOutcome.BAD_CHALLENGE_ANSWER);
        }
        if (!match) {
            return Result.of(AuthOutcome.BAD_CREDENTIALS);
        }
        if (requestUri != null && !DigestUri.sameResource(creds.uri(), requestUri)) {
            return Result.of(AuthOutcome.URI_MISMATCH);
        }
        return switch (nonce) {
            case VALID -> new Result(AuthOutcome.ACCEPTED, user);
            case STALE -> Result.of(AuthOutcome.STALE);
            case REPLAYED -> Result.of(AuthOutcome.REPLAYED);
            case UNKNOWN -> Result.of(AuthOutcome.BAD_CHALLENGE_ANSWER);
        };
    }
}
