package io.glareresolver.sip.impl.proxy;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

import javax.sip.ClientTransaction;
import javax.sip.ServerTransaction;
import javax.sip.address.SipURI;
import javax.sip.header.CSeqHeader;
import javax.sip.header.FromHeader;
import javax.sip.header.MaxForwardsHeader;
import javax.sip.header.RouteHeader;
import javax.sip.header.RecordRouteHeader;
import javax.sip.header.ToHeader;
import javax.sip.header.ViaHeader;
import javax.sip.message.Request;
import javax.sip.message.Response;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.glareresolver.sip.api.BranchResponse;
import io.glareresolver.sip.api.InviteAction;
import io.glareresolver.sip.api.InviteEnd;
import io.glareresolver.sip.api.Registration;
import io.glareresolver.sip.api.ResponseAction;
import io.glareresolver.sip.impl.config.ServerSettings;
import io.glareresolver.sip.impl.config.Transport;
import io.glareresolver.sip.impl.fork.BestResponse;
import io.glareresolver.sip.impl.fork.TargetSet;
import io.glareresolver.sip.impl.cluster.ClusterLink;
import io.glareresolver.sip.impl.peers.TrustedPeer;
import io.glareresolver.sip.impl.stack.SipContext;

/**
 * The stateful proxy for initial INVITEs between registered users (RFC 3261 §16), with the
 * interceptor whiteboard. An INVITE forks to every binding of the callee: the bindings of the
 * highest q-value at once, the next q-value's when all of those failed or rang longer than
 * {@code fork.group-ring-time} ({@link TargetSet}); the first 2xx is forwarded and the other
 * branches cancelled; without a 2xx, {@link BestResponse} picks what the caller gets. Interceptors
 * see the INVITE once (before it forks), every relayed provisional response, and one final
 * response: the 2xx or the chosen one.
 */
public final class InviteProxy {

    private static final Logger LOG = LoggerFactory.getLogger(InviteProxy.class);

    /** Application data of a branch's client transaction. */
    record Branch(ProxiedInvite invite, ProxiedInvite.Fork fork) {
    }

    private final SipContext sip;
    private final TargetLookup lookup;
    private final CallerAdmission admission;
    private final InterceptorChain chain;
    private final ScheduledExecutorService timers;
    private final long timerCMillis;
    private final AtomicLong ids = new AtomicLong();
    /** Live INVITEs by the caller's top Via (branch and sent-by): the key a CANCEL matches (§9.2). */
    private final Map<String, ProxiedInvite> live = new ConcurrentHashMap<>();
    private final Consumer<InterceptorChain.Entry> unbindListener = this::interceptorGone;
    /** 2xx-answered INVITEs whose end-to-end ACK the interceptors want to hear of. */
    private final AnsweredInvites<ProxiedInvite> answered = new AnsweredInvites<>();
    /** When each challenged call was first seen: its INVITE's {@link ProxiedInvite#dialledNanos()}. */
    private final ChallengedInvites challenged = new ChallengedInvites();
    private final ClusterLink cluster;

    public InviteProxy(SipContext sip, TargetLookup lookup, CallerAdmission admission, InterceptorChain chain,
                       ScheduledExecutorService timers, long timerCMillis, ClusterLink cluster) {
        this.cluster = cluster;
        this.sip = sip;
        this.lookup = lookup;
        this.admission = admission;
        this.chain = chain;
        this.timers = timers;
        this.timerCMillis = timerCMillis;
        chain.onUnbind(unbindListener);
    }

    /** INVITEs in progress (for tests and metrics). */
    public int inProgress() {
        return live.size();
    }

    static String transactionKey(Request r) {
        ViaHeader via = (ViaHeader) r.getHeader(ViaHeader.NAME);
        return via.getBranch() + "|" + via.getHost() + ":" + via.getPort();
    }

    // ---------------------------------------------------------------- initial INVITE

    /** After a 407 to an INVITE: when the call was dialled, for its {@link ProxiedInvite#dialledNanos()}. */
    public void challenged(String callId, long receivedNanos) {
        challenged.challenged(callId, receivedNanos);
    }

    /**
     * An initial INVITE from an admitted caller ({@link CallerAdmission}: 100 Trying already sent,
     * Max-Forwards and loops already checked): §16.5 "Determining Request Targets". A user may call a
     * user or a peer's number; a peer may call a user by extension, not another peer's number (no
     * transit). A local user's name wins over a peer's number prefix. An INVITE relayed by another
     * node of the cluster (the node that holds its pair of parties is this one, see
     * {@link io.glareresolver.sip.api.ServerCluster}) claims no pair again.
     */
    public void onInvite(Request req, ServerTransaction st, String callId, String loopHash, Integer maxForwards,
                         CallerAdmission.Caller from) throws Exception {
        ServerSettings s = sip.settings();
        String fromAor = from.aor();
        Optional<Registration> caller = from.registration();
        Optional<TrustedPeer> fromPeer = from.peer();
        Optional<String> fromNode = from.node();
        SipURI ruri = (SipURI) req.getRequestURI();
        String calleeName = ruri.getUser();
        String toAor = calleeName + "@" + s.domain();
        Optional<Registration> callee;
        Registration peerCallee = null;
        if (lookup.isUser(calleeName)) {
            callee = lookup.registeredOrAnswer(req, st, calleeName, callId);
            if (callee.isEmpty()) {
                return;
            }
        } else if (calleeName != null && s.peerFor(calleeName).isPresent()) {
            TrustedPeer to = s.peerFor(calleeName).get();
            if (fromPeer.isPresent()) {
                LOG.info("[{}] INVITE from peer {} to {} (peer {}'s number) refused: no transit between peers", callId,
                        fromPeer.get().name(), calleeName, to.name());
                sip.respond(st, req, Response.FORBIDDEN, "No transit between peers", callId);
                return;
            }
            peerCallee = to.registration(calleeName, toAor).orElseGet(() -> new Registration(toAor, 0,
                    List.of(to.binding(calleeName))));
            callee = Optional.of(peerCallee);
        } else {
            LOG.info("[{}] INVITE from {} to unknown user {}: 404", callId, fromAor, ruri);
            sip.respond(st, req, Response.NOT_FOUND, null, callId);
            return;
        }
        // the received INVITE is not copied here: each branch copies it (without our credentials)
        ProxiedInvite invite = new ProxiedInvite(this, "inv-" + ids.incrementAndGet(), st, req, callId, fromAor, toAor,
                caller, callee, System.nanoTime(), loopHash, maxForwards, admission.consumedRealm(from.byDigest()));
        invite.peerCallee = peerCallee;
        String pairNode = fromNode.isPresent() ? null : claimPair(invite);
        invite.dialledNanos = challenged.dialled(callId, invite.receivedNanos);
        st.setApplicationData(invite);
        live.put(transactionKey(req), invite);
        LOG.info("[{}] INVITE {} -> {} ({}{}{}{})", callId, fromAor, toAor, invite.id,
                fromPeer.map(p -> ", from peer " + p.name()).orElse(""),
                fromNode.map(n -> ", relayed by node " + n).orElse(""),
                peerCallee == null ? "" : ", to peer " + s.peerFor(calleeName).get().name());
        if (invite.clusterUnavailable) {
            // the cluster did not answer: the crossing INVITE may be on a node this one cannot hear
            // from, so no glare rule is applied to half a picture; a plain RFC 3261 call (logged, counted)
            synchronized (invite) {
                forward(invite);
            }
            return;
        }
        if (pairNode != null) {
            Optional<String> uri = cluster.current().flatMap(c -> c.sipUriOf(pairNode));
            if (uri.isPresent()) {
                // an INVITE between these two parties is in progress on that node: both meet there,
                // where the glare resolver sees them as on one node; this node only relays
                LOG.info("[{}] an INVITE between {} and {} is in progress on node {}: relayed to {}", callId, fromAor,
                        toAor, pairNode, uri.get());
                synchronized (invite) {
                    invite.relayTo = relayBinding(req, uri.get());
                    forward(invite);
                }
                return;
            }
            LOG.info("[{}] node {} holds the pair of {} and {} but announced no SIP address: handled here", callId,
                    pairNode, fromAor, toAor);
        }
        runInviteChain(invite);
    }

    /**
     * Claims the pair of parties for this node ({@link io.glareresolver.sip.api.ServerCluster#claimPair}).
     *
     * @return the node that holds it when that is another one; null when this node handles the
     *         INVITE (also without a cluster, or when the cluster does not answer in time: then
     *         {@code invite.clusterUnavailable} is set)
     */
    private String claimPair(ProxiedInvite invite) {
        io.glareresolver.sip.api.ServerCluster c = cluster.current().orElse(null);
        if (c == null) {
            return null;
        }
        try {
            String owner = c.claimPair(invite.fromAor, invite.toAor, invite.callId);
            invite.claimedIn = c;
            return owner.equals(c.nodeName()) ? null : owner;
        } catch (io.glareresolver.sip.api.ClusterUnavailableException e) {
            cluster.actedAsOneNode("the INVITE pair of " + invite.fromAor + " and " + invite.toAor, e);
            invite.clusterUnavailable = true;
            return null;
        }
    }

    /**
     * The next hop to the node that holds the pair: the Request-URI stays the callee's address of
     * record, the node is the route (RFC 3261 §16.6 step 6 / RFC 3327: a route set in front of the
     * target), so that node proxies the INVITE as if it had reached it first.
     */
    private static Registration.Binding relayBinding(Request req, String nodeUri) {
        String target = req.getRequestURI().toString();
        String route = "<" + nodeUri + (nodeUri.contains(";lr") ? "" : ";lr") + ">";
        return new Registration.Binding(target, java.time.Instant.MAX, java.util.Set.of(), "cluster-relay", 0,
                Registration.Binding.NO_Q, null, null, Registration.Binding.NO_REG_ID, List.of(route));
    }

    private void runInviteChain(ProxiedInvite invite) {
        for (InterceptorChain.Entry e : chain.entries()) {
            invite.participants.add(e);
            InviteAction action;
            try {
                action = e.interceptor().onInitialInvite(invite);
                if (action == null) {
                    LOG.warn("[{}] interceptor {} returned null: forwarding", invite.callId, e);
                    action = InviteAction.forward();
                }
            } catch (RuntimeException ex) {
                LOG.warn("[{}] interceptor {} failed on the INVITE, forwarding as if it had: {}", invite.callId, e, ex.toString(), ex);
                action = InviteAction.forward();
            }
            LOG.debug("[{}] interceptor {}: {}", invite.callId, e, action);
            switch (action.kind()) {
                case FORWARD -> {
                    applyEdits(invite, action);
                    action.target().ifPresent(c -> {
                        synchronized (invite) {
                            invite.onlyTo = c;
                        }
                    });
                }
                case ANSWER -> {
                    synchronized (invite) {
                        invite.pendingRelease = null;
                        answer(invite, action);
                    }
                    return;
                }
                case HOLD -> {
                    synchronized (invite) {
                        invite.holder = e;
                        InviteAction pending = invite.pendingRelease;
                        invite.pendingRelease = null;
                        if (invite.phase != ProxiedInvite.Phase.DECIDING) {
                            return; // cancelled or ended meanwhile
                        }
                        invite.phase = ProxiedInvite.Phase.HELD;
                        LOG.info("[{}] INVITE held by {}", invite.callId, e);
                        startTimerC(invite);
                        if (!chain.contains(e)) {
                            // unbound while it was deciding: nothing may stay stuck
                            LOG.info("[{}] interceptor {} unbound while holding the INVITE: forwarding", invite.callId, e);
                            applyRelease(invite, pending != null ? pending : InviteAction.forward());
                        } else if (pending != null) {
                            applyRelease(invite, pending);
                        } else if (invite.cancelled) {
                            finalLocal(invite, Response.REQUEST_TERMINATED, null, null);
                        }
                    }
                    return;
                }
            }
        }
        synchronized (invite) {
            invite.pendingRelease = null;
            forward(invite);
        }
    }

    /**
     * Takes a plugin's header edits, all or nothing: checked and built now, applied to each branch's
     * copy of the INVITE when it is sent (the received INVITE belongs to the caller's server
     * transaction and is not changed).
     */
    private void applyEdits(ProxiedInvite invite, InviteAction action) {
        if (action.edits().isEmpty()) {
            return;
        }
        try {
            invite.addEdits(MessageText.prepare(action.edits(), sip.headers()));
        } catch (Exception ex) {
            LOG.warn("[{}] header edits {} refused: {}", invite.callId, action.edits(), ex.getMessage());
        }
    }

    /** Forks the INVITE, as the interceptors edited it, to the callee's bindings (§16.6). Caller holds the invite's lock. */
    private void forward(ProxiedInvite invite) {
        if (invite.cancelled) {
            finalLocal(invite, Response.REQUEST_TERMINATED, null, null);
            return;
        }
        // an INVITE that was held looks its callee up again (phones may have registered meanwhile);
        // one forwarded at once goes to what onInvite just looked up: in a cluster a lookup is a round trip
        Optional<Registration> callee = invite.relayTo != null
                ? Optional.of(new Registration(invite.toAor, 0, List.of(invite.relayTo)))
                : invite.peerCallee != null ? Optional.of(invite.peerCallee)
                : invite.phase == ProxiedInvite.Phase.DECIDING && invite.callee.isPresent() ? invite.callee
                : lookup.registrationOf(invite.toAor);
        invite.callee = callee;
        if (callee.isEmpty()) {
            finalLocal(invite, Response.TEMPORARILY_UNAVAILABLE, "Not registered", null);
            return;
        }
        List<Registration.Binding> targets = callee.get().bindings();
        if (invite.onlyTo != null) {
            List<Registration.Binding> device = targets.stream()
                    .filter(b -> Registration.sameDevice(b.contact(), invite.onlyTo)).toList();
            if (device.isEmpty()) {
                LOG.info("[{}] {} is not registered any more: forking to every binding", invite.callId, invite.onlyTo);
            } else {
                targets = device;
            }
        }
        invite.laterGroups.clear();
        invite.laterGroups.addAll(TargetSet.groups(targets));
        invite.phase = ProxiedInvite.Phase.FORWARDED;
        startTimerC(invite);
        startNextGroup(invite);
        if (!invite.branchesPending()) {
            // every branch failed at once (transport errors): decide outside the lock
            timers.execute(() -> branchesFinished(invite));
        }
    }

    /**
     * Sends a branch to each binding of the next q-value group; a branch that cannot be sent counts
     * as a 503 from it (§16.9). Caller holds the lock.
     */
    private void startNextGroup(ProxiedInvite invite) {
        List<Registration.Binding> group = invite.laterGroups.poll();
        if (group == null) {
            return;
        }
        int number = ++invite.group;
        cancelGroupTimer(invite);
        for (Registration.Binding target : group) {
            ProxiedInvite.Fork fork = new ProxiedInvite.Fork(target.contact());
            invite.forks.add(fork);
            try {
                Request fwd = invite.branchRequest();
                // our own route was popped; the binding's Path or NAT flow, if any, is its route set
                sip.addressToBinding(fwd, target);
                MaxForwardsHeader mf = (MaxForwardsHeader) fwd.getHeader(MaxForwardsHeader.NAME);
                int next = HopGuard.nextMaxForwards(invite.receivedMaxForwards);
                if (mf == null) {
                    fwd.setHeader(sip.headers().createMaxForwardsHeader(next));
                } else {
                    mf.setMaxForwards(next);
                }
                Transport t = sip.transportFor(SipContext.nextHop(fwd));
                sip.addRecordRoutes(fwd, t);
                fwd.addFirst(sip.via(t, HopGuard.branchPrefix(invite.loopHash) + Long.toHexString(ids.incrementAndGet())));
                ClientTransaction ct = sip.provider().getNewClientTransaction(fwd);
                ct.setApplicationData(new Branch(invite, fork));
                fork.transaction = ct;
                ct.sendRequest();
                LOG.info("[{}] INVITE forwarded to {} over {}{}", invite.callId, target.contact(), t.token(),
                        target.path().isEmpty() ? target.natted() ? " via " + target.received() : ""
                                : " via " + target.path().get(0));
            } catch (Exception ex) {
                LOG.warn("[{}] cannot forward the INVITE to {}: {}", invite.callId, target.contact(), ex.toString());
                // §16.9: "the proxy SHOULD behave as if the forwarded request received a 503"
                finishLocally(invite, fork, Response.SERVICE_UNAVAILABLE, "Callee unreachable");
            }
        }
        long ringMillis = sip.settings().forkGroupRingTime().toMillis();
        if (!invite.laterGroups.isEmpty() && ringMillis > 0) {
            invite.groupTimer = timers.schedule(() -> groupRingTimeOver(invite, number), ringMillis,
                    TimeUnit.MILLISECONDS);
        }
    }

    /** A branch ends without a response of the callee: we make up its final response. Caller holds the lock. */
    private void finishLocally(ProxiedInvite invite, ProxiedInvite.Fork fork, int status, String reason) {
        fork.finished = true;
        try {
            invite.finals.add(sip.response(invite.received, status, reason));
            invite.outcomes.add(new BestResponse.Outcome(status, false));
            invite.finalContacts.add(null);
        } catch (java.text.ParseException e) {
            LOG.warn("[{}] cannot build the {} of a failed branch: {}", invite.callId, status, e.toString());
        }
    }

    /** The group rang long enough: its branches are cancelled, so that the next group is tried. */
    private void groupRingTimeOver(ProxiedInvite invite, int number) {
        synchronized (invite) {
            if (invite.phase != ProxiedInvite.Phase.FORWARDED || invite.group != number) {
                return;
            }
            invite.groupTimer = null;
            LOG.info("[{}] no answer within {} s: cancelling the ringing branches, trying the next q-value",
                    invite.callId, sip.settings().forkGroupRingTime().toSeconds());
            cancelPendingForks(invite, null);
        }
    }

    private static void cancelGroupTimer(ProxiedInvite invite) {
        if (invite.groupTimer != null) {
            invite.groupTimer.cancel(false);
            invite.groupTimer = null;
        }
    }

    /**
     * After a branch finished: starts the next q-value group, or, when none is left (or the caller
     * cancelled, Timer C fired, a 6xx came), chooses the final response (§16.7 step 6) and
     * returns it for the interceptors. Caller holds the lock; null while branches are pending.
     */
    private Response chooseWhenDone(ProxiedInvite invite) {
        if (invite.phase != ProxiedInvite.Phase.FORWARDED) {
            return null;
        }
        while (!invite.branchesPending()) {
            if (invite.laterGroups.isEmpty() || invite.cancelled || invite.timedOut || invite.globalFailure) {
                break;
            }
            startNextGroup(invite);
        }
        if (invite.branchesPending() && !invite.globalFailure) {
            return null;
        }
        invite.phase = ProxiedInvite.Phase.RESPONSE_DECIDING;
        invite.laterGroups.clear();
        cancelGroupTimer(invite);
        cancelTimerC(invite);
        if (invite.outcomes.isEmpty()) {
            // cannot happen (every branch ends with an outcome); answer rather than leave the caller waiting
            try {
                return sip.response(invite.received, Response.SERVER_INTERNAL_ERROR, null);
            } catch (java.text.ParseException e) {
                return null;
            }
        }
        BestResponse.Choice choice = BestResponse.choose(invite.outcomes);
        Response chosen = invite.finals.get(choice.index());
        invite.chosenContact = invite.finalContacts.get(choice.index());
        if (choice.status() != chosen.getStatusCode()) {
            chosen = (Response) chosen.clone();
            try {
                chosen.setStatusCode(choice.status());
                chosen.setReasonPhrase(standardReason(invite.received, choice.status()));
            } catch (java.text.ParseException ignored) {
                // a standard status code parses
            }
        }
        if (invite.forks.size() > 1) {
            LOG.info("[{}] {} branch(es) answered {}: {} chosen", invite.callId, invite.forks.size(),
                    invite.outcomes.stream().map(o -> String.valueOf(o.status())).toList(), choice.status());
        }
        if (choice.status() == Response.REQUEST_TIMEOUT) {
            invite.timedOut = true;
        }
        return chosen;
    }

    /** Decides on the final response once every branch has finished (called without the lock). */
    private void branchesFinished(ProxiedInvite invite) {
        Response chosen;
        synchronized (invite) {
            chosen = chooseWhenDone(invite);
        }
        if (chosen != null) {
            decideFinal(invite, chosen);
        }
    }

    /** An ANSWER action: a final response from the proxy. Caller holds the lock. */
    private void answer(ProxiedInvite invite, InviteAction action) {
        finalLocal(invite, action.status(), action.reason(), action);
    }

    private void finalLocal(ProxiedInvite invite, int status, String reason, InviteAction withEdits) {
        try {
            Response r = sip.response(invite.received, status, reason);
            if (withEdits != null && !withEdits.edits().isEmpty()) {
                try {
                    MessageText.apply(r, withEdits.edits(), sip.headers());
                } catch (Exception ex) {
                    LOG.warn("[{}] response header edits {} refused: {}", invite.callId, withEdits.edits(), ex.getMessage());
                }
            }
            sendFinal(invite, r);
        } catch (Exception ex) {
            LOG.warn("[{}] cannot build the {} response: {}", invite.callId, status, ex.toString());
        }
    }

    /** Sends the final response to the caller, once. Caller holds the lock. */
    private void sendFinal(ProxiedInvite invite, Response r) {
        if (invite.phase == ProxiedInvite.Phase.FINAL_SENT || invite.phase == ProxiedInvite.Phase.DONE) {
            return;
        }
        if (invite.timedOut && r.getStatusCode() == Response.REQUEST_TERMINATED && !invite.cancelled) {
            // §16.8: Timer C fired and we cancelled the branch: the caller gets 408, not the branch's 487
            try {
                r.setStatusCode(Response.REQUEST_TIMEOUT);
                r.setReasonPhrase("Request Timeout");
            } catch (java.text.ParseException ignored) {
                // constants parse
            }
        }
        int status = r.getStatusCode();
        invite.phase = ProxiedInvite.Phase.FINAL_SENT;
        invite.holder = null;
        invite.heldResponse = null;
        cancelTimerC(invite);
        cancelGroupTimer(invite);
        invite.finalEnd = status < 300 ? InviteEnd.ANSWERED
                : invite.cancelled ? InviteEnd.CANCELLED
                : invite.timedOut ? InviteEnd.TIMED_OUT : InviteEnd.REJECTED;
        if (status < 300 && !invite.participants.isEmpty()) {
            // before the 2xx leaves: its ACK may come back on another thread at once
            FromHeader from = (FromHeader) invite.received.getHeader(FromHeader.NAME);
            CSeqHeader cseq = (CSeqHeader) invite.received.getHeader(CSeqHeader.NAME);
            answered.put(AnsweredInvites.key(invite.callId, from.getTag(), cseq.getSeqNumber()), invite,
                    System.nanoTime());
        }
        sip.send(invite.serverTransaction, r, invite.callId);
        LOG.info("[{}] INVITE answered {} {}", invite.callId, status, r.getReasonPhrase());
        if (status < 300) {
            timers.execute(() -> end(invite, InviteEnd.ANSWERED));
        }
    }

    // ---------------------------------------------------------------- responses

    /** A response on one of our INVITE branches. */
    void onBranchResponse(Branch b, ClientTransaction ct, Response resp) {
        ProxiedInvite invite = b.invite();
        ProxiedInvite.Fork fork = b.fork();
        int status = resp.getStatusCode();
        if (status == Response.TRYING) {
            return; // §16.7 step 3: 100 is not forwarded
        }
        if (status < 200) {
            synchronized (invite) {
                if (fork.cancelWhenProvisional) {
                    fork.provisional = true;
                    sendCancel(invite, fork);
                }
                if (fork.finished || invite.phase != ProxiedInvite.Phase.FORWARDED) {
                    return;
                }
                fork.provisional = true;
                startTimerC(invite); // §16.7 step 2: "the proxy MUST reset timer C"
                relay(invite, resp);
            }
            observeProvisional(invite, resp, fork.contact);
            return;
        }
        if (status < 300) {
            onBranch2xx(invite, fork, resp);
            return;
        }
        Response chosen;
        synchronized (invite) {
            if (fork.finished || invite.phase != ProxiedInvite.Phase.FORWARDED) {
                LOG.debug("[{}] late {} of a finished branch ignored", invite.callId, status);
                return;
            }
            fork.finished = true;
            invite.finals.add(resp);
            invite.outcomes.add(new BestResponse.Outcome(status, fork.cancelled));
            invite.finalContacts.add(fork.contact);
            if (BestResponse.endsAllBranches(status)) {
                // §16.7 step 5: a 6xx ends the search; the other branches are cancelled and not waited for
                invite.globalFailure = true;
                cancelPendingForks(invite, fork);
                abandonPendingForks(invite);
            }
            chosen = chooseWhenDone(invite);
        }
        if (chosen != null) {
            decideFinal(invite, chosen);
        }
    }

    /** Tells the INVITE's interceptors of a relayed provisional response (outside the INVITE's lock). */
    private void observeProvisional(ProxiedInvite invite, Response resp, String contact) {
        if (invite.participants.isEmpty()) {
            return;
        }
        BranchResponse view = ResponseSnapshot.ofReceived(resp, contact);
        for (InterceptorChain.Entry e : invite.participants) {
            try {
                e.interceptor().onProvisionalResponse(invite, view);
            } catch (RuntimeException ex) {
                LOG.warn("[{}] interceptor {} failed on the {} response: {}", invite.callId, e, resp.getStatusCode(),
                        ex.toString(), ex);
            }
        }
    }

    /**
     * The caller's ACK of a 2xx, forwarded end to end by the server (§16.7 step 10 ACKs go
     * statelessly): reports it once to the interceptors that took part in the INVITE.
     */
    public void onAckOf2xx(String callId, String fromTag, long cseq) {
        ProxiedInvite invite = answered.take(AnsweredInvites.key(callId, fromTag, cseq), System.nanoTime());
        if (invite == null) {
            return;
        }
        for (InterceptorChain.Entry e : invite.participants) {
            try {
                e.interceptor().onAck(invite);
            } catch (RuntimeException ex) {
                LOG.warn("[{}] interceptor {} failed on the ACK: {}", callId, e, ex.toString(), ex);
            }
        }
    }

    /** §16.7 step 9: "Any 2xx responses ... MUST be forwarded immediately". */
    private void onBranch2xx(ProxiedInvite invite, ProxiedInvite.Fork fork, Response resp) {
        boolean first;
        synchronized (invite) {
            first = invite.phase != ProxiedInvite.Phase.FINAL_SENT && invite.phase != ProxiedInvite.Phase.DONE;
        }
        if (first) {
            BranchResponse view = ResponseSnapshot.ofReceived(resp, fork.contact);
            for (InterceptorChain.Entry e : invite.participants) {
                try {
                    ResponseAction a = e.interceptor().onFinalResponse(invite, view);
                    if (a != null && (a.kind() != ResponseAction.Kind.RELAY || a.status() != 0 || !a.edits().isEmpty())) {
                        LOG.warn("[{}] interceptor {} asked {} for a 2xx: ignored, a proxy forwards every 2xx", invite.callId, e, a);
                    }
                } catch (RuntimeException ex) {
                    LOG.warn("[{}] interceptor {} failed on the 2xx, relaying: {}", invite.callId, e, ex.toString(), ex);
                }
            }
        }
        synchronized (invite) {
            fork.finished = true;
            // §16.7 step 10: "If the forwarded response was a final response, the proxy MUST generate a
            // CANCEL request for all pending client transactions associated with this response context."
            invite.laterGroups.clear();
            cancelGroupTimer(invite);
            cancelPendingForks(invite, fork);
            Response out = forCaller(invite, resp);
            if (invite.phase == ProxiedInvite.Phase.FINAL_SENT || invite.phase == ProxiedInvite.Phase.DONE) {
                // a 2xx after another final response: still forwarded (statelessly) so the dialog can be ended
                sendStateless(out, invite.callId);
            } else {
                sendFinal(invite, out);
            }
        }
    }

    /** Runs the final-response interceptors and relays, rewrites or holds a non-2xx. */
    private void decideFinal(ProxiedInvite invite, Response resp) {
        Response out = forCaller(invite, resp);
        String contact;
        synchronized (invite) {
            contact = invite.chosenContact;
        }
        BranchResponse view = new ResponseSnapshot(out, contact);
        for (InterceptorChain.Entry e : invite.participants) {
            ResponseAction a;
            try {
                a = e.interceptor().onFinalResponse(invite, view);
                if (a == null) {
                    a = ResponseAction.relay();
                }
            } catch (RuntimeException ex) {
                LOG.warn("[{}] interceptor {} failed on the {} response, relaying: {}", invite.callId, e,
                        resp.getStatusCode(), ex.toString(), ex);
                a = ResponseAction.relay();
            }
            if (a.kind() == ResponseAction.Kind.HOLD) {
                synchronized (invite) {
                    if (invite.phase != ProxiedInvite.Phase.RESPONSE_DECIDING) {
                        return;
                    }
                    InviteAction pending = invite.pendingRelease;
                    invite.pendingRelease = null;
                    invite.phase = ProxiedInvite.Phase.RESPONSE_HELD;
                    invite.holder = e;
                    invite.heldResponse = out;
                    LOG.info("[{}] {} response held by {}", invite.callId, resp.getStatusCode(), e);
                    startTimerC(invite);
                    if (!chain.contains(e)) {
                        LOG.info("[{}] interceptor {} unbound while holding a response: relaying it", invite.callId, e);
                        sendFinal(invite, out);
                    } else if (pending != null) {
                        applyRelease(invite, pending);
                    } else if (invite.cancelled) {
                        finalLocal(invite, Response.REQUEST_TERMINATED, null, null);
                    }
                }
                return;
            }
            if (a.status() != 0 || !a.edits().isEmpty()) {
                try {
                    if (a.status() != 0) {
                        out.setStatusCode(a.status());
                        out.setReasonPhrase(a.reason() != null ? a.reason() : standardReason(invite.received, a.status()));
                    } else if (a.reason() != null) {
                        out.setReasonPhrase(a.reason());
                    }
                    MessageText.apply(out, a.edits(), sip.headers());
                } catch (Exception ex) {
                    LOG.warn("[{}] rewrite {} by {} refused: {}", invite.callId, a, e, ex.getMessage());
                }
                view = new ResponseSnapshot(out, contact);
            }
        }
        synchronized (invite) {
            invite.pendingRelease = null;
            if (invite.phase == ProxiedInvite.Phase.RESPONSE_DECIDING) {
                sendFinal(invite, out);
            }
        }
    }

    private String standardReason(Request request, int status) {
        try {
            return sip.messages().createResponse(status, request).getReasonPhrase();
        } catch (Exception e) {
            return "Response";
        }
    }

    /** The branch's response as the caller gets it: see {@link RequestRelay#towardsCaller}. */
    private Response forCaller(ProxiedInvite invite, Response resp) {
        return RequestRelay.towardsCaller(resp, invite.received, invite.callId);
    }

    private void relay(ProxiedInvite invite, Response resp) {
        try {
            invite.serverTransaction.sendResponse(forCaller(invite, resp));
        } catch (Exception e) {
            LOG.warn("[{}] cannot relay {}: {}", invite.callId, resp.getStatusCode(), e.toString());
        }
    }

    private void sendStateless(Response out, String callId) {
        try {
            sip.provider().sendResponse(out);
        } catch (Exception e) {
            LOG.warn("[{}] cannot relay {}: {}", callId, out.getStatusCode(), e.toString());
        }
    }

    /** A branch's client transaction timed out (Timer B): §16.8 "as if the transaction received a 408". */
    void onBranchTimeout(Branch b, ClientTransaction ct) {
        ProxiedInvite invite = b.invite();
        ProxiedInvite.Fork fork = b.fork();
        Response chosen;
        synchronized (invite) {
            if (fork.finished || invite.phase != ProxiedInvite.Phase.FORWARDED) {
                return;
            }
            LOG.info("[{}] no answer on the {}: 408", invite.callId, fork);
            finishLocally(invite, fork, Response.REQUEST_TIMEOUT, null);
            chosen = chooseWhenDone(invite);
        }
        if (chosen != null) {
            decideFinal(invite, chosen);
        }
    }

    // ---------------------------------------------------------------- plugin control

    boolean release(ProxiedInvite invite, InviteAction action) {
        synchronized (invite) {
            switch (invite.phase) {
                case DECIDING, RESPONSE_DECIDING -> {
                    if (invite.pendingRelease != null) {
                        LOG.warn("[{}] release({}) ignored: another release is pending", invite.callId, action);
                        return false;
                    }
                    invite.pendingRelease = action;
                    return true;
                }
                case HELD, RESPONSE_HELD -> {
                    if (action.kind() == InviteAction.Kind.HOLD) {
                        LOG.warn("[{}] release(HOLD) ignored: the INVITE is already held", invite.callId);
                        return false;
                    }
                    applyRelease(invite, action);
                    return true;
                }
                default -> {
                    LOG.info("[{}] release({}) ignored: the INVITE is not held ({})", invite.callId, action, invite.phase);
                    return false;
                }
            }
        }
    }

    /** Caller holds the lock. */
    private void applyRelease(ProxiedInvite invite, InviteAction action) {
        invite.holder = null;
        invite.heldResponse = null;
        cancelTimerC(invite);
        switch (action.kind()) {
            case FORWARD -> {
                applyEdits(invite, action);
                action.target().ifPresent(c -> invite.onlyTo = c);
                LOG.info("[{}] INVITE released: forwarding", invite.callId);
                forward(invite);
            }
            case ANSWER -> answer(invite, action);
            case HOLD -> {
                invite.phase = ProxiedInvite.Phase.HELD;
                startTimerC(invite);
            }
        }
    }

    /** See {@link io.glareresolver.sip.api.InitialInvite#keepOnlyBranchTo}. */
    boolean keepOnlyBranchTo(ProxiedInvite invite, String contact) {
        synchronized (invite) {
            switch (invite.phase) {
                case DECIDING, HELD -> {
                    invite.onlyTo = contact;
                    return invite.callee.map(r -> r.bindingOf(contact).isPresent()).orElse(false);
                }
                case FORWARDED -> {
                    invite.onlyTo = contact;
                    ProxiedInvite.Fork device = null;
                    for (ProxiedInvite.Fork f : invite.forks) {
                        if (Registration.sameDevice(f.contact, contact)) {
                            device = f;
                        }
                    }
                    List<Registration.Binding> later = invite.laterGroups.stream().flatMap(List::stream)
                            .filter(b -> Registration.sameDevice(b.contact(), contact)).toList();
                    invite.laterGroups.clear();
                    if (device == null && later.isEmpty()) {
                        return false; // not a device of this INVITE: nothing is narrowed
                    }
                    cancelPendingForks(invite, device);
                    if (device == null) {
                        invite.laterGroups.add(later); // tried once the cancelled group has answered
                    }
                    LOG.info("[{}] INVITE narrowed to {}: the other branches are cancelled", invite.callId, contact);
                    return device == null || !device.finished;
                }
                default -> {
                    return false;
                }
            }
        }
    }

    boolean cancelBranch(ProxiedInvite invite) {
        synchronized (invite) {
            if (invite.phase != ProxiedInvite.Phase.FORWARDED || !invite.branchesPending()) {
                return false;
            }
            invite.laterGroups.clear(); // a cancelled INVITE forks no further
            cancelPendingForks(invite, null);
            return true;
        }
    }

    /**
     * Cancels every branch still waiting for its final response, except {@code keep}. §9.1: "a
     * CANCEL ... SHOULD NOT be sent ... before a provisional response": a branch that has not sent
     * one is cancelled when it does. Caller holds the lock.
     */
    private void cancelPendingForks(ProxiedInvite invite, ProxiedInvite.Fork keep) {
        for (ProxiedInvite.Fork f : invite.forks) {
            if (f == keep || f.finished || f.cancelled || f.transaction == null) {
                continue;
            }
            f.cancelled = true;
            if (f.provisional) {
                sendCancel(invite, f);
            } else {
                f.cancelWhenProvisional = true;
            }
        }
    }

    /** After a 6xx: the cancelled branches' finals change nothing and are not waited for. Caller holds the lock. */
    private static void abandonPendingForks(ProxiedInvite invite) {
        for (ProxiedInvite.Fork f : invite.forks) {
            f.finished = true;
        }
    }

    private boolean sendCancel(ProxiedInvite invite, ProxiedInvite.Fork fork) {
        fork.cancelWhenProvisional = false;
        try {
            Request cancel = fork.transaction.createCancel();
            ClientTransaction ct = sip.provider().getNewClientTransaction(cancel);
            ct.sendRequest();
            LOG.info("[{}] CANCEL sent on the {}", invite.callId, fork);
            return true;
        } catch (Exception e) {
            LOG.warn("[{}] cannot CANCEL the {}: {}", invite.callId, fork, e.toString());
            return false;
        }
    }

    // ---------------------------------------------------------------- caller side

    /** §16.10: "the proxy MUST respond to the CANCEL ... with a 200 ... and cancel the pending client transactions". */
    public void onCancel(Request cancel, ServerTransaction st, String callId) {
        ProxiedInvite invite = live.get(transactionKey(cancel));
        if (invite == null) {
            sip.respond(st, cancel, Response.CALL_OR_TRANSACTION_DOES_NOT_EXIST, null, callId);
            return;
        }
        sip.respond(st, cancel, Response.OK, null, callId);
        synchronized (invite) {
            if (invite.phase == ProxiedInvite.Phase.FINAL_SENT || invite.phase == ProxiedInvite.Phase.DONE
                    || invite.cancelled) {
                return;
            }
            invite.cancelled = true;
        }
        LOG.info("[{}] caller cancelled the INVITE", callId);
        for (InterceptorChain.Entry e : invite.participants) {
            try {
                e.interceptor().onCancel(invite);
            } catch (RuntimeException ex) {
                LOG.warn("[{}] interceptor {} failed on CANCEL: {}", callId, e, ex.toString(), ex);
            }
        }
        synchronized (invite) {
            switch (invite.phase) {
                case FORWARDED -> {
                    invite.laterGroups.clear();
                    cancelGroupTimer(invite);
                    cancelPendingForks(invite, null);
                }
                case HELD, RESPONSE_HELD -> finalLocal(invite, Response.REQUEST_TERMINATED, null, null);
                default -> {
                    // DECIDING / RESPONSE_DECIDING: the decision sees 'cancelled' when it completes
                }
            }
        }
    }

    /** ACK for our non-2xx final response (absorbed here: hop by hop). */
    public void onNon2xxAck(ServerTransaction st) {
        if (st != null && st.getApplicationData() instanceof ProxiedInvite invite) {
            InviteEnd e;
            synchronized (invite) {
                e = invite.finalEnd;
            }
            if (e != null) {
                end(invite, e);
            }
        }
    }

    /** The caller's server transaction ended (terminated or Timer H). */
    public void onServerTransactionEnd(ServerTransaction st) {
        if (st != null && st.getApplicationData() instanceof ProxiedInvite invite) {
            InviteEnd e;
            synchronized (invite) {
                e = invite.finalEnd != null ? invite.finalEnd : InviteEnd.ABORTED;
            }
            end(invite, e);
        }
    }

    private void end(ProxiedInvite invite, InviteEnd how) {
        if (!invite.ended.compareAndSet(false, true)) {
            return;
        }
        synchronized (invite) {
            invite.phase = ProxiedInvite.Phase.DONE;
            cancelTimerC(invite);
            cancelGroupTimer(invite);
        }
        live.remove(transactionKey(invite.received), invite);
        LOG.info("[{}] INVITE over: {}", invite.callId, how);
        if (invite.claimedIn != null) {
            invite.claimedIn.releasePair(invite.fromAor, invite.toAor, invite.callId);
        }
        for (InterceptorChain.Entry e : invite.participants) {
            try {
                e.interceptor().onEnd(invite, how);
            } catch (RuntimeException ex) {
                LOG.warn("[{}] interceptor {} failed on end: {}", invite.callId, e, ex.toString(), ex);
            }
        }
        invite.forgetEditedView();
    }

    // ---------------------------------------------------------------- Timer C, unbinding, shutdown

    private void startTimerC(ProxiedInvite invite) {
        cancelTimerC(invite);
        invite.timerC = timers.schedule(() -> timerC(invite), timerCMillis, TimeUnit.MILLISECONDS);
    }

    private static void cancelTimerC(ProxiedInvite invite) {
        if (invite.timerC != null) {
            invite.timerC.cancel(false);
            invite.timerC = null;
        }
    }

    /** §16.8: "If timer C should fire, the proxy MUST either reset the timer ... or terminate the client transaction". */
    private void timerC(ProxiedInvite invite) {
        synchronized (invite) {
            invite.timerC = null;
            switch (invite.phase) {
                case FORWARDED -> {
                    invite.timedOut = true;
                    LOG.info("[{}] Timer C fired: cancelling the branches", invite.callId);
                    invite.laterGroups.clear();
                    cancelGroupTimer(invite);
                    cancelPendingForks(invite, null);
                }
                case HELD, RESPONSE_HELD -> {
                    invite.timedOut = true;
                    LOG.info("[{}] Timer C fired on a held INVITE: 408", invite.callId);
                    finalLocal(invite, Response.REQUEST_TIMEOUT, null, null);
                }
                default -> {
                }
            }
        }
    }

    /** An interceptor went away: it hears ABORTED for its INVITEs, and what it held is released. */
    private void interceptorGone(InterceptorChain.Entry gone) {
        for (ProxiedInvite invite : List.copyOf(live.values())) {
            if (!invite.participants.remove(gone)) {
                continue;
            }
            synchronized (invite) {
                if (invite.holder == gone) {
                    if (invite.phase == ProxiedInvite.Phase.HELD) {
                        LOG.info("[{}] interceptor {} unbound while holding the INVITE: forwarding", invite.callId, gone);
                        applyRelease(invite, InviteAction.forward());
                    } else if (invite.phase == ProxiedInvite.Phase.RESPONSE_HELD) {
                        LOG.info("[{}] interceptor {} unbound while holding a response: relaying it", invite.callId, gone);
                        sendFinal(invite, invite.heldResponse);
                    }
                }
            }
            try {
                gone.interceptor().onEnd(invite, InviteEnd.ABORTED);
            } catch (RuntimeException ex) {
                LOG.warn("[{}] interceptor {} failed on end: {}", invite.callId, gone, ex.toString());
            }
        }
    }

    /** The proxy stops: every INVITE in progress ends ABORTED (with 503 to a caller still waiting). */
    public void close() {
        chain.removeUnbindListener(unbindListener);
        for (ProxiedInvite invite : List.copyOf(live.values())) {
            synchronized (invite) {
                if (invite.phase != ProxiedInvite.Phase.FINAL_SENT && invite.phase != ProxiedInvite.Phase.DONE) {
                    finalLocal(invite, Response.SERVICE_UNAVAILABLE, "Server stopping", null);
                }
            }
            end(invite, InviteEnd.ABORTED);
        }
    }
}
