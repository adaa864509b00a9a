package io.glareresolver.sip.impl.proxy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import javax.sip.ClientTransaction;
import javax.sip.ServerTransaction;
import javax.sip.address.URI;
import javax.sip.header.MaxForwardsHeader;
import javax.sip.header.RouteHeader;
import javax.sip.header.ViaHeader;
import javax.sip.message.Request;
import javax.sip.message.Response;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.glareresolver.sip.api.Registration;
import io.glareresolver.sip.impl.config.Transport;
import io.glareresolver.sip.impl.stack.SipContext;

/**
 * Forwards requests other than initial INVITEs: in-dialog requests routed by Route (loose
 * routing, RFC 3261 §16.4, §16.12) and out-of-dialog non-INVITE requests to a user's binding.
 * Statefully (a client transaction per request, responses relayed), except ACK for a 2xx, which is
 * forwarded statelessly end to end (§16.7 step 4 has no transaction for it), and in-dialog
 * non-INVITE requests over UDP, forwarded statelessly (§16.11, {@link #forwardStatelessly}).
 */
public final class RequestRelay {

    private static final Logger LOG = LoggerFactory.getLogger(RequestRelay.class);

    /** Application data of a relayed request's client transaction. */
    record Relay(ServerTransaction serverTransaction, String callId) {
    }

    private final SipContext sip;
    private final AtomicLong ids = new AtomicLong();

    public RequestRelay(SipContext sip) {
        this.sip = sip;
    }

    /**
     * Prepares the copy to forward: our Route entries popped (§16.4: "If the first value in the
     * Route header field indicates this proxy, the proxy MUST remove that value"), Request-URI and
     * route set those of the binding {@code target} if given ({@link SipContext#addressToBinding}),
     * the Proxy-Authorization of {@code consumedRealm} removed ({@link ProxyAuthentication#removeCredentials}),
     * Max-Forwards decremented, our Via on top. This is the one copy of the request the proxy makes:
     * the received request stays as the caller's server transaction holds it.
     */
    private Request prepare(Request req, Registration.Binding target, Integer maxForwards, String branch,
                            String consumedRealm) throws Exception {
        return prepareInPlace((Request) req.clone(), target, maxForwards, branch, consumedRealm);
    }

    /**
     * {@link #prepare} on the request itself, for what is relayed without a transaction (an ACK for
     * a 2xx, §16.11 stateless relay): nothing holds such a request once the listener returns (no
     * server transaction was made for it, and the RI passes it to no one else), so the copy §16.6
     * step 1 makes for a stateful proxy would only be garbage. Should the request be needed again
     * (a 503 for it), {@link #withoutOurVia} restores the Vias a response is built from.
     */
    private Request prepareInPlace(Request fwd, Registration.Binding target, Integer maxForwards, String branch,
                                   String consumedRealm) throws Exception {
        popOurRoutes(fwd, sip);
        ProxyAuthentication.removeCredentials(fwd, consumedRealm);
        if (target != null) {
            // a binding target replaces whatever route the request carried beyond us
            sip.addressToBinding(fwd, target);
        }
        int next = HopGuard.nextMaxForwards(maxForwards);
        MaxForwardsHeader mf = (MaxForwardsHeader) fwd.getHeader(MaxForwardsHeader.NAME);
        if (mf == null) {
            fwd.setHeader(sip.headers().createMaxForwardsHeader(next));
        } else {
            mf.setMaxForwards(next);
        }
        Transport t = sip.transportFor(SipContext.nextHop(fwd));
        fwd.addFirst(sip.via(t, branch));
        return fwd;
    }

    /** A branch of ours for a request relayed statefully (or an ACK): unique per forwarded request. */
    private String newBranch(String loopHash) {
        return HopGuard.branchPrefix(loopHash) + Long.toHexString(ids.incrementAndGet());
    }

    /**
     * What the top of a request's Route set says, read without copying the request (a copy of every
     * request only to pop the Route entries was a measurable share of the hot path).
     *
     * @param poppedOurs our own entries were on top (§16.4 would remove them)
     * @param moreRoutes entries beyond ours remain
     * @param dialogStamps the {@link DialogStamp#PARAMETER} values our popped entries carry, top first
     *                     (empty when none does)
     */
    public record RouteTop(boolean poppedOurs, boolean moreRoutes, List<String> dialogStamps) {

        /**
         * True if one of our popped entries carries the stamp of the dialog this request (its Call-ID
         * and tags) belongs to: the dialog was record-routed by this proxy.
         */
        public boolean stampedFor(DialogStamp stamp, String callId, String fromTag, String toTag) {
            for (String s : dialogStamps) {
                if (stamp.verifies(s, callId, fromTag, toTag)) {
                    return true;
                }
            }
            return false;
        }
    }

    /**
     * The request's Route set seen as {@link #popOurRoutes} would leave it, with the dialog stamps
     * of the entries it would pop; the request is not changed.
     */
    public static RouteTop inspectRoutes(Request req, SipContext sip) {
        java.util.ListIterator<?> routes = req.getHeaders(RouteHeader.NAME);
        boolean ours = false;
        List<String> stamps = List.of();
        while (routes.hasNext()) {
            RouteHeader r = (RouteHeader) routes.next();
            URI uri = r.getAddress().getURI();
            if (!sip.isOurRoute(uri)) {
                return new RouteTop(ours, true, stamps);
            }
            ours = true;
            String stamp = SipContext.dialogStampOf(uri);
            if (stamp != null) {
                if (stamps.isEmpty()) {
                    stamps = List.of(stamp);
                } else {
                    List<String> more = new ArrayList<>(stamps);
                    more.add(stamp);
                    stamps = more;
                }
            }
        }
        return new RouteTop(ours, false, stamps);
    }

    /** Removes our own entries from the top of the Route set; true if there was one. */
    public static boolean popOurRoutes(Request req, SipContext sip) {
        boolean popped = false;
        while (true) {
            RouteHeader top = (RouteHeader) req.getHeader(RouteHeader.NAME);
            if (top == null || !sip.isOurRoute(top.getAddress().getURI())) {
                return popped;
            }
            req.removeFirst(RouteHeader.NAME);
            popped = true;
        }
    }

    /** Forwards statefully; responses come back through {@link #onResponse}. */
    public void forward(Request req, ServerTransaction st, Registration.Binding target, Integer maxForwards, String loopHash, String callId) {
        forward(req, st, target, maxForwards, loopHash, callId, null);
    }

    /**
     * Forwards statefully, without the credentials the proxy consumed; responses come back through
     * {@link #onResponse}.
     *
     * @param consumedRealm the realm whose Proxy-Authorization was consumed here
     *                      ({@link CallerAdmission#consumedRealm}); null: every value is forwarded
     */
    public void forward(Request req, ServerTransaction st, Registration.Binding target, Integer maxForwards,
                        String loopHash, String callId, String consumedRealm) {
        try {
            Request fwd = prepare(req, target, maxForwards, newBranch(loopHash), consumedRealm);
            ClientTransaction ct = sip.provider().getNewClientTransaction(fwd);
            ct.setApplicationData(new Relay(st, callId));
            ct.sendRequest();
            LOG.debug("[{}] {} forwarded to {}", callId, req.getMethod(), fwd.getRequestURI());
        } catch (Exception e) {
            LOG.warn("[{}] cannot forward {}: {}", callId, req.getMethod(), e.toString());
            sip.respond(st, req, Response.SERVICE_UNAVAILABLE, "Next hop unreachable", callId);
        }
    }

    /**
     * Forwards an in-dialog request without a transaction (RFC 3261 §16.11, "Stateless Proxy"): the
     * branch is computed from the request ({@link HopGuard#statelessBranch}), so a retransmission
     * goes out as the same client transaction and the next hop's transaction answers it again; the
     * responses come back without a transaction and are relayed by their Via
     * ({@link ResponseRouter}). Nothing is kept: RFC 3261's 32 s of Timer J per BYE was the largest
     * share of the server's live heap under load. When the next hop does not answer, the caller's
     * own Timer F ends its transaction with what §8.1.3.1 treats as a 408, at the time a stateful
     * proxy's 408 would have come (both wait 64*T1). If it cannot be sent at all, 503 (§16.9).
     */
    public void forwardStatelessly(Request req, Registration.Binding target, Integer maxForwards, String loopHash,
                                   String callId) {
        try {
            ViaHeader top = (ViaHeader) req.getHeader(ViaHeader.NAME);
            String branch = HopGuard.statelessBranch(loopHash, top == null ? null : top.getBranch(),
                    top == null ? "" : top.toString());
            Request fwd = prepareInPlace(req, target, maxForwards, branch, null);
            try {
                sip.provider().sendRequest(fwd);
            } catch (Exception e) {
                withoutOurVia(req, branch);
                throw e;
            }
            LOG.debug("[{}] {} forwarded statelessly to {}", callId, req.getMethod(), fwd.getRequestURI());
        } catch (Exception e) {
            LOG.warn("[{}] cannot forward {}: {}", callId, req.getMethod(), e.toString());
            sip.respond(null, req, Response.SERVICE_UNAVAILABLE, "Next hop unreachable", callId);
        }
    }

    /**
     * Takes our Via (the one with {@code ourBranch}) off a request {@link #prepareInPlace} had
     * already topped with it, so that a response built from the request goes to the sender
     * (§8.2.6.2: the response's Vias are the request's), not to us. Only on the failure path: the
     * request path itself counts nothing.
     */
    private static void withoutOurVia(Request req, String ourBranch) {
        ViaHeader top = (ViaHeader) req.getHeader(ViaHeader.NAME);
        if (top != null && ourBranch.equals(top.getBranch())) {
            req.removeFirst(ViaHeader.NAME);
        }
    }

    /**
     * True if a request is relayed statelessly ({@link #forwardStatelessly}): an in-dialog request
     * other than INVITE (a re-INVITE keeps its transaction: its 2xx, ACK and CANCEL need it) that came
     * over UDP. Over TCP and TLS the responses must go back on the connection the request came on
     * (§18.2.2), which only a server transaction keeps.
     */
    public static boolean relayedStatelessly(Request req, String method, String toTag) {
        if (toTag == null || Request.INVITE.equals(method) || Request.ACK.equals(method)
                || Request.CANCEL.equals(method) || Request.REGISTER.equals(method)) {
            return false;
        }
        ViaHeader top = (ViaHeader) req.getHeader(ViaHeader.NAME);
        return top != null && "UDP".equalsIgnoreCase(top.getTransport());
    }

    /** ACK for a 2xx: stateless, end to end. */
    public void forwardAck(Request ack, Registration.Binding target, Integer maxForwards, String loopHash, String callId) {
        try {
            Request fwd = prepareInPlace(ack, target, maxForwards, newBranch(loopHash), null);
            sip.provider().sendRequest(fwd);
            LOG.debug("[{}] ACK forwarded to {}", callId, fwd.getRequestURI());
        } catch (Exception e) {
            LOG.warn("[{}] cannot forward ACK: {}", callId, e.toString());
        }
    }

    void onResponse(Relay relay, Response resp) {
        if (resp.getStatusCode() == Response.TRYING) {
            return;
        }
        Response out = relay.serverTransaction() == null ? stripTopVia(resp)
                : towardsCaller(resp, relay.serverTransaction().getRequest(), relay.callId());
        sip.send(relay.serverTransaction(), out, relay.callId());
    }

    private static Response stripTopVia(Response resp) {
        Response out = (Response) resp.clone();
        out.removeFirst(ViaHeader.NAME);
        return out;
    }

    /**
     * A branch response made fit for the caller. §16.7 step 3: "The proxy removes the topmost Via
     * header field value from the response"; what remains must be the Vias of the request the
     * caller sent. Some UAs build a response from the wrong request (Net::SIP answers the INVITE
     * with a 487 built from the CANCEL, which carries only our Via), so the Vias are taken from
     * the caller's request itself rather than trusted from the response.
     */
    static Response towardsCaller(Response resp, Request callerRequest, String callId) {
        Response out = (Response) resp.clone();
        out.removeHeader(ViaHeader.NAME);
        java.util.ListIterator<?> vias = callerRequest.getHeaders(ViaHeader.NAME);
        try {
            while (vias.hasNext()) {
                out.addLast((ViaHeader) ((ViaHeader) vias.next()).clone());
            }
        } catch (javax.sip.SipException e) {
            LOG.warn("[{}] cannot copy the caller's Via into the response: {}", callId, e.toString());
            return stripTopVia(resp);
        }
        return out;
    }

    void onTimeout(Relay relay) {
        LOG.info("[{}] no answer from the next hop: 408", relay.callId());
        sip.respond(relay.serverTransaction(), relay.serverTransaction().getRequest(), Response.REQUEST_TIMEOUT, null,
                relay.callId());
    }
}
