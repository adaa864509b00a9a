package io.glareresolver.sip.impl.proxy;

import javax.sip.ClientTransaction;
import javax.sip.header.ViaHeader;
import javax.sip.message.Response;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.glareresolver.sip.impl.stack.SipContext;

/** Sends responses and client-transaction timeouts to whoever owns the client transaction. */
public final class ResponseRouter {

    private static final Logger LOG = LoggerFactory.getLogger(ResponseRouter.class);

    private final SipContext sip;
    private final InviteProxy invites;
    private final RequestRelay relay;

    public ResponseRouter(SipContext sip, InviteProxy invites, RequestRelay relay) {
        this.sip = sip;
        this.invites = invites;
        this.relay = relay;
    }

    public void onResponse(ClientTransaction ct, Response resp, String callId) {
        Object owner = ct == null ? null : ct.getApplicationData();
        if (owner instanceof InviteProxy.Branch b) {
            invites.onBranchResponse(b, ct, resp);
        } else if (owner instanceof RequestRelay.Relay r) {
            relay.onResponse(r, resp);
        } else if (ct == null) {
            stray(resp, callId);
        }
        // else: the response to a CANCEL we sent; nothing to do
    }

    public void onTimeout(ClientTransaction ct) {
        Object owner = ct.getApplicationData();
        if (owner instanceof InviteProxy.Branch b) {
            invites.onBranchTimeout(b, ct);
        } else if (owner instanceof RequestRelay.Relay r) {
            relay.onTimeout(r);
        }
    }

    /**
     * A response without a transaction: the retransmissions of a 2xx to an INVITE (the client
     * transaction ended with the first). §16.7 step 9 forwards every 2xx, so strip our Via and
     * send it on statelessly, if the Via is ours and another is below it.
     */
    private void stray(Response resp, String callId) {
        ViaHeader top = (ViaHeader) resp.getHeader(ViaHeader.NAME);
        if (resp.getStatusCode() / 100 != 2 || top == null
                || !sip.ourSentBys().contains(SipContext.sentBy(top))) {
            LOG.debug("[{}] stray {} dropped", callId, resp.getStatusCode());
            return;
        }
        Response out = (Response) resp.clone();
        out.removeFirst(ViaHeader.NAME);
        if (out.getHeader(ViaHeader.NAME) == null) {
            return;
        }
        try {
            sip.provider().sendResponse(out);
        } catch (Exception e) {
            LOG.debug("[{}] cannot relay a retransmitted 2xx: {}", callId, e.toString());
        }
    }
}
