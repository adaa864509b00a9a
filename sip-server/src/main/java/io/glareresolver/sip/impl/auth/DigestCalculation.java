package io.glareresolver.sip.impl.auth;

/** The digest request-digest computation (RFC 2617 §3.2.2.1, RFC 7616 §3.4.1). Pure functions. */
public final class DigestCalculation {

    private DigestCalculation() {
    }

    /**
     * RFC 2617 §3.2.2.1: "If the qop value is "auth" ...
     * {@code request-digest = <"> < KD ( H(A1), unq(nonce-value) ":" nc-value ":" unq(cnonce-value)
     * ":" unq(qop-value) ":" H(A2) ) <">}"; "If the qop directive is not present ...
     * {@code KD ( H(A1), unq(nonce-value) ":" H(A2) )}"; §3.2.2.3: "If the qop directive's value is
     * "auth" or is unspecified, then A2 is: {@code A2 = Method ":" digest-uri-value}".
     */
    public static String response(DigestAlgorithm alg, String ha1, String method, String uri, String nonce,
                                  String nc, String cnonce, String qop) {
        String ha2 = alg.hash(method + ":" + uri);
        if (qop == null || qop.isEmpty()) {
            return alg.hash(ha1 + ":" + nonce + ":" + ha2);
        }
        return alg.hash(ha1 + ":" + nonce + ":" + nc + ":" + cnonce + ":" + qop + ":" + ha2);
    }
}
