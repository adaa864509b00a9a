package io.glareresolver.sip.impl.proxy;

import java.util.Optional;
import javax.sip.ServerTransaction;
import javax.sip.address.SipURI;
import javax.sip.header.FromHeader;
import javax.sip.message.Request;
import javax.sip.message.Response;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.glareresolver.sip.api.Registration;
import io.glareresolver.sip.impl.auth.DigestVerifier;
import io.glareresolver.sip.impl.auth.NonceService;
import io.glareresolver.sip.impl.peers.TrustedPeer;
import io.glareresolver.sip.impl.stack.SipContext;
import io.glareresolver.sip.impl.users.SipUser;
import io.glareresolver.sip.impl.users.UserDirectory;

/**
 * The step before the proxy core: who sends an out-of-dialog request to a user, and may they.
 * RFC 3261 §16.4 leaves a proxy's authorization to it ("a proxy server MAY challenge the originator
 * of the request to provide authentication", §22.3); this server admits three kinds of sender:
 * <ul>
 * <li>a user of the domain, by digest ({@link ProxyAuthentication}: 407, and the From must be the
 *     authenticated user); an INVITE's caller must also be registered, since its registration carries
 *     the tie-break value the glare plugin compares (docs/design.md §3);</li>
 * <li>a {@link TrustedPeer} (a PBX on a trunk), by its source address, without digest (Kamailio
 *     {@code allow_source_address}); its caller is the From's user, or the peer's name;</li>
 * <li>another node of the cluster relaying an INVITE whose pair of parties this node holds: that node
 *     admitted the caller, so its From is taken as it is.</li>
 * </ul>
 * A refused request is answered here; the proxy core sees only admitted {@link Caller}s.
 */
public final class CallerAdmission {

    private static final Logger LOG = LoggerFactory.getLogger(CallerAdmission.class);

    /**
     * An admitted sender.
     *
     * @param aor          the caller's address of record in this domain
     * @param registration the caller's registration (for a peer's extension: the peer's tie-break, if set)
     * @param peer         the trusted peer it came from, if any
     * @param node         the cluster node that relayed it, if any
     */
    public record Caller(String aor, Optional<Registration> registration, Optional<TrustedPeer> peer,
                         Optional<String> node) {

        /** True if the caller proved itself with our digest (its credentials are ours to consume, §22.3). */
        public boolean byDigest() {
            return peer.isEmpty() && node.isEmpty();
        }
    }

    private final SipContext sip;
    private final TargetLookup targets;
    private final ProxyAuthentication authentication;

    public CallerAdmission(SipContext sip, UserDirectory users, TargetLookup targets, NonceService nonces,
                           DigestVerifier verifier) {
        this.sip = sip;
        this.targets = targets;
        this.authentication = new ProxyAuthentication(sip, users, nonces, verifier);
    }

    /**
     * The caller of an initial INVITE, or empty with the INVITE answered (407, 403).
     *
     * @param onChallenged run after a 407 was sent (the INVITE proxy notes when the call was dialled)
     */
    public Optional<Caller> admitInvite(Request req, ServerTransaction st, String callId, Optional<TrustedPeer> peer,
                                        Optional<String> node, Runnable onChallenged) throws Exception {
        if (node.isPresent()) {
            String user = fromUser(req).orElse(null);
            if (user == null) {
                sip.respond(st, req, Response.FORBIDDEN, "No caller", callId);
                return Optional.empty();
            }
            return Optional.of(new Caller(targets.aor(user), targets.registration(user), peer, node));
        }
        if (peer.isPresent()) {
            String extension = fromUser(req).orElse(peer.get().name());
            String aor = targets.aor(extension);
            return Optional.of(new Caller(aor, peer.get().registration(extension, aor), peer, node));
        }
        Optional<SipUser> user = authentication.authenticate(req, st, callId, onChallenged);
        if (user.isEmpty()) {
            return Optional.empty();
        }
        String aor = targets.aor(user.get().name());
        Optional<Registration> registration = targets.registration(user.get().name());
        if (registration.isEmpty()) {
            LOG.info("[{}] INVITE refused: caller {} is not registered", callId, aor);
            sip.respond(st, req, Response.FORBIDDEN, "Caller not registered", callId);
            return Optional.empty();
        }
        return Optional.of(new Caller(aor, registration, peer, node));
    }

    /**
     * Whether an out-of-dialog request other than INVITE (OPTIONS, MESSAGE, SUBSCRIBE, NOTIFY,
     * REFER...) to a user may go on: from a trusted peer, or from an authenticated user (without it
     * anyone could send "from alice"); otherwise it is already answered.
     */
    public boolean admitRequest(Request req, ServerTransaction st, String callId, Optional<TrustedPeer> peer)
            throws Exception {
        if (peer.isPresent()) {
            LOG.debug("[{}] {} from trusted peer {}: no digest", callId, req.getMethod(), peer.get().name());
            return true;
        }
        return authentication.authenticate(req, st, callId, () -> { }).isPresent();
    }

    /**
     * The realm whose Proxy-Authorization the proxy consumed for a request (§22.3), to be removed
     * from the copy it forwards ({@link RequestRelay}, each INVITE branch) and hidden from
     * interceptors: ours for a caller admitted by digest; null for a trusted peer or a cluster node,
     * whose request the proxy forwards with whatever credentials it carries. The received request
     * itself is never changed: the RI's server transaction holds it.
     */
    public String consumedRealm(boolean byDigest) {
        return byDigest ? sip.settings().realm() : null;
    }

    /** The user part of the From URI, if it is a SIP URI with one (a trusted sender's caller). */
    private static Optional<String> fromUser(Request req) {
        return ((FromHeader) req.getHeader(FromHeader.NAME)).getAddress().getURI() instanceof SipURI from
                ? Optional.ofNullable(from.getUser()) : Optional.empty();
    }
}
