package io.glareresolver.sip.impl.auth;

/** The result of checking digest credentials, with the response the server gives for it. */
public enum AuthOutcome {
    /** The credentials are good. */
    ACCEPTED(0, false),
    /** No credentials for our realm: challenge. */
    MISSING(401, false),
    /** Good response over a nonce past its lifetime: challenge with stale=true (RFC 2617 §3.2.1). */
    STALE(401, true),
    /** A nonce-count seen before: challenge again with a fresh nonce (stale=true, the password was right). */
    REPLAYED(401, true),
    /** A nonce we did not issue, an algorithm or qop we did not offer: challenge afresh. */
    BAD_CHALLENGE_ANSWER(401, false),
    /** Unknown user or wrong response: refuse (403), never register. */
    BAD_CREDENTIALS(403, false),
    /**
     * The digest {@code uri} names another resource than the Request-URI: 400 (RFC 2617 §3.2.2.5,
     * "the server SHOULD check that the [digest-uri] identifies the same resource as the
     * Request-URI"), so that an answer computed for one request cannot be used for another.
     */
    URI_MISMATCH(400, false);

    private final int status;
    private final boolean stale;

    AuthOutcome(int status, boolean stale) {
        this.status = status;
        this.stale = stale;
    }

    /** 401 for a challenge (407 when a proxy challenges), 403 for a refusal, 400 for a foreign uri; 0 when accepted. */
    public int status() {
        return status;
    }

    public boolean stale() {
        return stale;
    }

    public boolean challenges() {
        return status == 401;
    }
}
