package io.glareresolver.sip.impl.proxy;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.atomic.AtomicBoolean;

import javax.sip.ClientTransaction;
import javax.sip.ServerTransaction;
import javax.sip.message.Request;
import javax.sip.message.Response;

import io.glareresolver.sip.api.InitialInvite;
import io.glareresolver.sip.api.InviteAction;
import io.glareresolver.sip.api.InviteEnd;
import io.glareresolver.sip.api.Registration;
import io.glareresolver.sip.impl.fork.BestResponse;

/**
 * One proxied initial INVITE: the caller's server transaction, its branches (one per binding of
 * the callee, §16.6) and what the interceptors decided. Mutable state is guarded by this object's monitor; interceptors are
 * called without holding it.
 */
final class ProxiedInvite implements InitialInvite {

    /** Where the INVITE is in its life. */
    enum Phase {
        /** Interceptors are deciding on the INVITE. */
        DECIDING,
        /** An interceptor holds the INVITE. */
        HELD,
        /** A branch is out to the callee. */
        FORWARDED,
        /** Interceptors are deciding on the branch's final response. */
        RESPONSE_DECIDING,
        /** An interceptor holds the branch's final response: the caller waits. */
        RESPONSE_HELD,
        /** The final response went to the caller (non-2xx: awaiting ACK). */
        FINAL_SENT,
        /** Over: onEnd was called. */
        DONE
    }

    final String id;
    final ServerTransaction serverTransaction;
    final Request received;
    final String callId;
    final String fromAor;
    final String toAor;
    final Optional<Registration> caller;
    final long receivedNanos;
    /** Set once, before the interceptors see the INVITE: see {@link InitialInvite#dialledNanos()}. */
    volatile long dialledNanos;
    final String loopHash;
    final Integer receivedMaxForwards;
    private final InviteProxy proxy;

    /**
     * The realm whose Proxy-Authorization the proxy consumed for this INVITE
     * ({@link CallerAdmission#consumedRealm}): removed from each branch, hidden from interceptors;
     * null: none.
     */
    final String consumedRealm;
    /**
     * The interceptors' header edits so far, in chain order (an immutable list, replaced on each
     * edit). They are not applied to the received INVITE, which the caller's server transaction
     * holds, but to each branch's copy ({@link #branchRequest}); the interceptors read them in
     * {@link #view()}.
     */
    private volatile List<MessageText.Prepared> edits = List.of();
    /** The received INVITE with {@link #edits}, made when first read after an edit; guarded by {@link #viewLock}. */
    private Request editedView;
    private List<MessageText.Prepared> editedViewOf;
    private final Object viewLock = new Object();
    volatile Optional<Registration> callee;
    /** For a call to a trusted peer's number: the peer as the callee's only binding; null for a user. */
    volatile Registration peerCallee;
    /** The route to the cluster node that holds this INVITE's pair of parties, or null: proxied here. */
    volatile Registration.Binding relayTo;
    /** The cluster this INVITE's pair was claimed in (released at its end), or null. */
    volatile io.glareresolver.sip.api.ServerCluster claimedIn;

    /** Whether any branch is still waiting for its final response. Caller holds the lock. */
    boolean branchesPending() {
        for (Fork f : forks) {
            if (!f.finished) {
                return true;
            }
        }
        return false;
    }

    /** Interceptors that saw onInitialInvite (and so get the other callbacks), in chain order. */
    final List<InterceptorChain.Entry> participants = new CopyOnWriteArrayList<>();
    final AtomicBoolean ended = new AtomicBoolean();

    /**
     * One branch of the INVITE (RFC 3261 §16.6): a client transaction to one binding of the
     * callee. Guarded by the INVITE's monitor.
     */
    static final class Fork {
        final String contact;
        ClientTransaction transaction;
        /** A provisional response came: a CANCEL may be sent (§9.1). */
        boolean provisional;
        /** We want it cancelled, and will once it has sent a provisional response. */
        boolean cancelWhenProvisional;
        /** We cancelled it (or will): its 487 is our doing. */
        boolean cancelled;
        /** Its final response came (or counts as come: timeout, transport error, abandoned). */
        boolean finished;

        Fork(String contact) {
            this.contact = contact;
        }

        @Override
        public String toString() {
            return "branch to " + contact;
        }
    }

    // guarded by this
    Phase phase = Phase.DECIDING;
    /** The cluster did not answer this INVITE's pair claim: proxied as a plain RFC 3261 call, no interceptor. */
    boolean clusterUnavailable;
    /** Every branch sent for this INVITE so far, across the q-value groups. */
    final List<Fork> forks = new ArrayList<>();
    /** The q-value groups not tried yet (serial forking, §16.6). */
    final Deque<List<Registration.Binding>> laterGroups = new ArrayDeque<>();
    /** The finished branches' final non-2xx responses and outcomes, in the order they finished. */
    final List<Response> finals = new ArrayList<>();
    final List<BestResponse.Outcome> outcomes = new ArrayList<>();
    /** The binding each of {@link #finals} came from (null: made by the proxy). */
    final List<String> finalContacts = new ArrayList<>();
    /** The binding of the final response chosen for the interceptors. */
    String chosenContact;
    /** The one device this INVITE goes to ({@link InitialInvite#keepOnlyBranchTo}, {@link InviteAction#onlyTo}); null: all. */
    String onlyTo;
    /** A branch answered 6xx: no further group is tried (§16.7 step 5). */
    boolean globalFailure;
    /** Counts the groups started, so a late group timer knows it is stale. */
    int group;
    ScheduledFuture<?> groupTimer;
    InviteAction pendingRelease;
    InterceptorChain.Entry holder;
    Response heldResponse;
    boolean cancelled;
    boolean timedOut;
    InviteEnd finalEnd;
    ScheduledFuture<?> timerC;

    ProxiedInvite(InviteProxy proxy, String id, ServerTransaction st, Request received, String callId, String fromAor,
                  String toAor, Optional<Registration> caller, Optional<Registration> callee, long receivedNanos,
                  String loopHash, Integer receivedMaxForwards, String consumedRealm) {
        this.proxy = proxy;
        this.id = id;
        this.serverTransaction = st;
        this.received = received;
        this.consumedRealm = consumedRealm;
        this.callId = callId;
        this.fromAor = fromAor;
        this.toAor = toAor;
        this.caller = caller;
        this.callee = callee;
        this.receivedNanos = receivedNanos;
        this.loopHash = loopHash;
        this.receivedMaxForwards = receivedMaxForwards;
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public String callId() {
        return callId;
    }

    @Override
    public String fromAor() {
        return fromAor;
    }

    @Override
    public String toAor() {
        return toAor;
    }

    @Override
    public Optional<Registration> caller() {
        return caller;
    }

    @Override
    public Optional<Registration> callee() {
        return callee;
    }

    /** Adds an interceptor's edits, already checked: the branches sent from now on carry them. */
    void addEdits(MessageText.Prepared more) {
        synchronized (viewLock) {
            List<MessageText.Prepared> all = new ArrayList<>(edits);
            all.add(more);
            edits = List.copyOf(all);
        }
    }

    /**
     * A branch's copy of the INVITE (§16.6 step 1: "Make a copy of the received request"): the
     * interceptors' edits applied, the credentials the proxy consumed removed. The one copy the
     * proxy makes of the INVITE per branch.
     */
    Request branchRequest() {
        Request fwd = (Request) received.clone();
        for (MessageText.Prepared e : edits) {
            e.applyTo(fwd);
        }
        ProxyAuthentication.removeCredentials(fwd, consumedRealm);
        return fwd;
    }

    /**
     * The INVITE as interceptors read it: the received one, or, after edits, a copy with them
     * (made once per set of edits, never changed once made, so a reader on another thread sees a
     * whole message).
     */
    private Request view() {
        List<MessageText.Prepared> e = edits;
        if (e.isEmpty()) {
            return received;
        }
        synchronized (viewLock) {
            e = edits;
            if (editedViewOf != e) {
                Request m = (Request) received.clone();
                for (MessageText.Prepared p : e) {
                    p.applyTo(m);
                }
                editedView = m;
                editedViewOf = e;
            }
            return editedView;
        }
    }

    /**
     * The INVITE is over: the edited copy is not needed any more. The RI keeps the caller's server
     * transaction (and with it this object, its application data) for a while, and at a thousand
     * calls a second those copies were a large share of the heap the young collections copy.
     */
    void forgetEditedView() {
        synchronized (viewLock) {
            editedView = null;
            editedViewOf = null;
        }
    }

    /** Hides the Proxy-Authorization the proxy consumed: a plugin never sees the caller's credentials for us. */
    private boolean consumed(javax.sip.header.Header h) {
        return ProxyAuthentication.isCredentialsOf(h, consumedRealm);
    }

    @Override
    public Optional<String> header(String name) {
        List<String> all = headers(name);
        return all.isEmpty() ? Optional.empty() : Optional.of(all.get(0));
    }

    @Override
    public List<String> headers(String name) {
        return MessageText.headers(view(), name, this::consumed);
    }

    @Override
    public Optional<String> body() {
        return MessageText.body(view());
    }

    @Override
    public Optional<String> contentType() {
        return MessageText.contentType(view());
    }

    @Override
    public long receivedNanos() {
        return receivedNanos;
    }

    @Override
    public long dialledNanos() {
        return dialledNanos == 0 ? receivedNanos : dialledNanos;
    }

    @Override
    public boolean release(InviteAction action) {
        return proxy.release(this, action);
    }

    @Override
    public boolean cancelBranch() {
        return proxy.cancelBranch(this);
    }

    @Override
    public Optional<String> callerContact() {
        javax.sip.header.ContactHeader c = (javax.sip.header.ContactHeader) received.getHeader(
                javax.sip.header.ContactHeader.NAME);
        return c == null || c.getAddress() == null ? Optional.empty() : Optional.of(c.getAddress().getURI().toString());
    }

    @Override
    public boolean keepOnlyBranchTo(String contact) {
        return proxy.keepOnlyBranchTo(this, contact);
    }

    @Override
    public String toString() {
        return "INVITE " + id + " [" + callId + "] " + fromAor + " -> " + toAor;
    }
}
