package io.glareresolver.sip.impl.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import org.junit.jupiter.api.Test;

/** The digest computation against the worked examples printed in the RFCs. */
class DigestCalculationTest {

    /** RFC 2617 §3.5: Mufasa / "Circle Of Life", GET /dir/index.html, qop=auth. */
    @Test
    void rfc2617WorkedExample() {
        String ha1 = DigestAlgorithm.MD5.ha1("Mufasa", "testrealm@host.com", "Circle Of Life".toCharArray());
        String response = DigestCalculation.response(DigestAlgorithm.MD5, ha1, "GET", "/dir/index.html",
                "dcd98b7102dd2f0e8b11d0f600bfb0c093", "00000001", "0a4f113b", "auth");
        assertEquals("6629fae49393a05397450978507c4ef1", response);
    }

    /** RFC 7616 §3.9.1 (the SHA-256 example RFC 8760 relies on): both of its responses. */
    @Test
    void rfc7616Sha256AndMd5Examples() {
        String nonce = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v";
        String cnonce = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";
        char[] pw = "Circle of Life".toCharArray();
        String sha = DigestCalculation.response(DigestAlgorithm.SHA_256,
                DigestAlgorithm.SHA_256.ha1("Mufasa", "http-auth@example.org", pw), "GET", "/dir/index.html", nonce,
                "00000001", cnonce, "auth");
        assertEquals("753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1", sha);
        String md5 = DigestCalculation.response(DigestAlgorithm.MD5,
                DigestAlgorithm.MD5.ha1("Mufasa", "http-auth@example.org", pw), "GET", "/dir/index.html", nonce,
                "00000001", cnonce, "auth");
        assertEquals("8ca523f5e9506fed4657c9700eebdbec", md5);
    }

    @Test
    void anyChangedFieldChangesTheResponse() {
        String ha1 = DigestAlgorithm.MD5.ha1("Mufasa", "testrealm@host.com", "Circle Of Life".toCharArray());
        String good = DigestCalculation.response(DigestAlgorithm.MD5, ha1, "GET", "/dir/index.html", "n", "00000001", "c", "auth");
        assertNotEquals(good, DigestCalculation.response(DigestAlgorithm.MD5, ha1, "GET", "/dir/index.html", "n", "00000002", "c", "auth"));
        assertNotEquals(good, DigestCalculation.response(DigestAlgorithm.MD5, ha1, "PUT", "/dir/index.html", "n", "00000001", "c", "auth"));
    }

    @Test
    void algorithmTokens() {
        assertEquals(DigestAlgorithm.MD5, DigestAlgorithm.parse(null).orElseThrow(), "RFC 7616 §3.4.1: absent means MD5");
        assertEquals(DigestAlgorithm.SHA_256, DigestAlgorithm.parse("sha-256").orElseThrow());
        assertEquals(true, DigestAlgorithm.parse("SHA-512-256").isEmpty());
    }
}
