package io.glareresolver.sip.impl.auth;

import java.util.Objects;

/**
 * The parameters of a Digest {@code Authorization} / {@code Proxy-Authorization} header, raw as
 * sent (nc as its 8 hex digits: the response is computed over the text).
 */
public record DigestCredentials(String username, String realm, String nonce, String uri, String response,
                                String algorithm, String qop, String nc, String cnonce) {

    public DigestCredentials {
        Objects.requireNonNull(username, "username");
        Objects.requireNonNull(realm, "realm");
        Objects.requireNonNull(nonce, "nonce");
        Objects.requireNonNull(uri, "uri");
        Objects.requireNonNull(response, "response");
    }

    /** Never the response value: it is password-equivalent for replay within the nonce's life. */
    @Override
    public String toString() {
        return "Digest username=" + username + " realm=" + realm + " algorithm=" + algorithm + " qop=" + qop + " nc=" + nc;
    }
}
