package io.glareresolver.sip.impl.auth;

import java.text.ParseException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

import javax.sip.header.AuthorizationHeader;
import javax.sip.header.HeaderFactory;
import javax.sip.header.ProxyAuthorizationHeader;
import javax.sip.header.WWWAuthenticateHeader;
import javax.sip.message.Message;
import javax.sip.message.Request;

import io.glareresolver.sip.impl.stack.SipConstants;

/** Builds digest challenges and reads digest credentials from SIP messages. */
public final class DigestChallenges {

    private final HeaderFactory headers;

    public DigestChallenges(HeaderFactory headers) {
        this.headers = headers;
    }

    /**
     * One challenge per algorithm, SHA-256 first. RFC 8760 §2.4: "a UAS ... MAY include multiple
     * WWW-Authenticate header fields, each with a different algorithm ... in order of preference,
     * with the most preferred algorithm first."
     *
     * @param proxy Proxy-Authenticate (407) instead of WWW-Authenticate (401)
     */
    public List<WWWAuthenticateHeader> challenges(boolean proxy, String realm, String nonce, boolean stale,
                                                  List<DigestAlgorithm> algorithms) throws ParseException {
        List<WWWAuthenticateHeader> list = new ArrayList<>();
        for (DigestAlgorithm alg : algorithms) {
            WWWAuthenticateHeader h = proxy ? headers.createProxyAuthenticateHeader(SipConstants.DIGEST)
                    : headers.createWWWAuthenticateHeader(SipConstants.DIGEST);
            h.setRealm(realm);
            h.setNonce(nonce);
            h.setAlgorithm(alg.token());
            h.setQop(SipConstants.QOP_AUTH);
            if (stale) {
                h.setParameter("stale", "TRUE");
            }
            list.add(h);
        }
        return list;
    }

    /** Adds the challenges to a 401/407. */
    public void addTo(Message response, boolean proxy, String realm, String nonce, boolean stale,
                      List<DigestAlgorithm> algorithms) throws ParseException {
        for (WWWAuthenticateHeader h : challenges(proxy, realm, nonce, stale, algorithms)) {
            response.addHeader(h);
        }
    }

    /** The Digest credentials for {@code realm} in (Proxy-)Authorization, or null if none. */
    public static DigestCredentials credentials(Request request, boolean proxy, String realm) {
        Iterator<?> it = request.getHeaders(proxy ? ProxyAuthorizationHeader.NAME : AuthorizationHeader.NAME);
        while (it.hasNext()) {
            Object o = it.next();
            if (!(o instanceof AuthorizationHeader a)) {
                continue;
            }
            if (!SipConstants.DIGEST.equalsIgnoreCase(a.getScheme())) {
                continue;
            }
            String r = a.getParameter("realm");
            if (!realm.equals(r)) {
                continue;
            }
            String user = a.getParameter("username");
            String nonce = a.getParameter("nonce");
            String uri = a.getParameter("uri");
            String response = a.getParameter("response");
            if (user == null || nonce == null || uri == null || response == null) {
                return null;
            }
            return new DigestCredentials(user, r, nonce, uri, response, a.getParameter("algorithm"),
                    a.getParameter("qop"), a.getParameter("nc"), a.getParameter("cnonce"));
        }
        return null;
    }
}
