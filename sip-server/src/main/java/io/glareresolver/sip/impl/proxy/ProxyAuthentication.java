package io.glareresolver.sip.impl.proxy;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import javax.sip.ServerTransaction;
import javax.sip.address.SipURI;
import javax.sip.address.URI;
import javax.sip.header.FromHeader;
import javax.sip.header.Header;
import javax.sip.header.ProxyAuthorizationHeader;
import javax.sip.message.Request;
import javax.sip.message.Response;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.glareresolver.sip.impl.auth.AuthOutcome;
import io.glareresolver.sip.impl.auth.DigestChallenges;
import io.glareresolver.sip.impl.auth.DigestCredentials;
import io.glareresolver.sip.impl.auth.DigestVerifier;
import io.glareresolver.sip.impl.auth.NonceService;
import io.glareresolver.sip.impl.config.ServerSettings;
import io.glareresolver.sip.impl.stack.SipContext;
import io.glareresolver.sip.impl.users.SipUser;
import io.glareresolver.sip.impl.users.UserDirectory;

/**
 * The proxy's authentication of a request from a user (RFC 3261 §22.3): "a proxy server MAY
 * challenge the originator of the request to provide authentication" with 407 and
 * Proxy-Authenticate. Every out-of-dialog request the proxy routes to a user is challenged, INVITE
 * and MESSAGE/SUBSCRIBE/NOTIFY/REFER/OPTIONS alike, and the From must be the authenticated user
 * (no one sends "from alice" without alice's password). ACK and CANCEL cannot be challenged
 * (§22.1) and never come here.
 */
public final class ProxyAuthentication {

    private static final Logger LOG = LoggerFactory.getLogger(ProxyAuthentication.class);

    private final SipContext sip;
    private final UserDirectory users;
    private final NonceService nonces;
    private final DigestVerifier verifier;
    private final DigestChallenges challenges;

    public ProxyAuthentication(SipContext sip, UserDirectory users, NonceService nonces, DigestVerifier verifier) {
        this.sip = sip;
        this.users = users;
        this.nonces = nonces;
        this.verifier = verifier;
        this.challenges = new DigestChallenges(sip.headers());
    }

    /**
     * The authenticated user whose address is the request's From; otherwise the request is already
     * answered (407 with fresh challenges, 400 for a digest uri that is not the Request-URI, 403 for
     * wrong credentials or a From that is not the user) and empty is returned.
     *
     * @param onChallenged run after a 407 was sent (the INVITE proxy notes when the call was dialled)
     */
    public Optional<SipUser> authenticate(Request req, ServerTransaction st, String callId, Runnable onChallenged)
            throws Exception {
        ServerSettings s = sip.settings();
        String method = req.getMethod();
        DigestCredentials creds = DigestChallenges.credentials(req, true, s.realm());
        DigestVerifier.Result auth = verifier.verify(creds, method, s.realm(), users::find, s.verifiedAlgorithms(),
                req.getRequestURI().toString());
        if (auth.outcome() != AuthOutcome.ACCEPTED) {
            if (auth.outcome().challenges()) {
                Response r = sip.response(req, Response.PROXY_AUTHENTICATION_REQUIRED, null);
                challenges.addTo(r, true, s.realm(), nonces.issue(), auth.outcome().stale(), s.digestAlgorithms());
                sip.send(st, r, callId);
                onChallenged.run();
                LOG.info("[{}] {} challenged (407): {}", callId, method, auth.outcome());
            } else if (auth.outcome() == AuthOutcome.URI_MISMATCH) {
                // RFC 2617 §3.2.2.5: "the server SHOULD check that the [digest-uri] identifies the same
                // resource as the Request-URI" and answer 400 if not
                LOG.info("[{}] {} refused: digest uri '{}' is not the Request-URI {}", callId, method,
                        creds == null ? "?" : creds.uri(), req.getRequestURI());
                sip.respond(st, req, Response.BAD_REQUEST, "Digest uri does not match the Request-URI", callId);
            } else {
                LOG.info("[{}] {} refused: bad credentials for '{}'", callId, method, creds == null ? "?" : creds.username());
                sip.respond(st, req, Response.FORBIDDEN, "Bad credentials", callId);
                sip.badCredentials(req); // a wrong answer or an unknown user: counted against its source
            }
            return Optional.empty();
        }
        SipUser user = auth.user().orElseThrow();
        URI fromUri = ((FromHeader) req.getHeader(FromHeader.NAME)).getAddress().getURI();
        if (!(fromUri instanceof SipURI from) || !user.name().equals(from.getUser()) || !sip.isLocalHost(from.getHost())) {
            LOG.info("[{}] {} refused: From {} is not the authenticated user {}", callId, method, fromUri, user.name());
            sip.respond(st, req, Response.FORBIDDEN, "From does not match the authenticated user", callId);
            return Optional.empty();
        }
        return Optional.of(user);
    }

    /**
     * Removes the Proxy-Authorization values of {@code realm} from {@code fwd}, the proxy's own copy
     * of a request it forwards; the others stay, in their order. RFC 3261 §22.3: "A
     * Proxy-Authorization header field value applies only to the proxy whose realm is identified in
     * the "realm" parameter": the values of our realm were consumed here, those of another realm are
     * for a proxy further on and are forwarded.
     *
     * @param realm the realm whose credentials this proxy consumed; null: none, nothing is removed
     * @return true if a value was removed
     */
    static boolean removeCredentials(Request fwd, String realm) {
        if (realm == null) {
            return false;
        }
        List<Header> others = new ArrayList<>();
        boolean ours = false;
        for (Iterator<?> it = fwd.getHeaders(ProxyAuthorizationHeader.NAME); it.hasNext(); ) {
            Header h = (Header) it.next();
            if (isCredentialsOf(h, realm)) {
                ours = true;
            } else {
                others.add(h);
            }
        }
        if (!ours) {
            return false;
        }
        fwd.removeHeader(ProxyAuthorizationHeader.NAME);
        for (Header h : others) {
            fwd.addHeader(h);
        }
        return true;
    }

    /** True if {@code h} is a Proxy-Authorization value for {@code realm} (null: no realm is ours). */
    static boolean isCredentialsOf(Header h, String realm) {
        return realm != null && h instanceof ProxyAuthorizationHeader pa && realm.equals(pa.getRealm());
    }
}
