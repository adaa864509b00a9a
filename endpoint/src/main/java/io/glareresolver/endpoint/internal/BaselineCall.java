package io.glareresolver.endpoint.internal;

import io.glareresolver.endpoint.CallHandle;
import io.glareresolver.endpoint.CallResult;
import io.glareresolver.endpoint.P2pSession;
import io.glareresolver.endpoint.fsm.State;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;

/**
 * One call of a plain RFC 3261 phone ({@code GlareEndpoint.Builder#rfc3261Baseline}): a series of
 * attempts ({@link SipCall}s) with the same peer, each a new INVITE on a fresh port after a random
 * back-off, until one forms a session, a refusal that is not a crossing ends it, or the attempts
 * run out. Its futures complete once, for the whole call. The mutable fields are touched only on
 * the endpoint's worker thread.
 */
final class BaselineCall implements CallHandle {

    final SipGlareEndpoint endpoint;
    final String peerAor;
    final String targetUri;
    final int maxAttempts;
    /** INVITEs sent so far by this call. */
    int attempts;
    boolean hungUp;
    ScheduledFuture<?> retry;
    /** All attempts, own INVITEs and adopted peer INVITEs, in order. */
    final List<SipCall> history = new java.util.concurrent.CopyOnWriteArrayList<>();
    private volatile SipCall current;

    final CompletableFuture<CallResult> result = new CompletableFuture<>();
    private volatile long resultAtNanos;
    final CompletableFuture<CallResult> ended = new CompletableFuture<>();

    BaselineCall(SipGlareEndpoint endpoint, String peerAor, String targetUri, int maxAttempts) {
        this.endpoint = endpoint;
        this.peerAor = peerAor;
        this.targetUri = targetUri;
        this.maxAttempts = maxAttempts;
    }

    SipCall current() {
        return current;
    }

    void follow(SipCall attempt) {
        current = attempt;
        history.add(attempt);
    }

    boolean done() {
        return result.isDone();
    }

    /** @return INVITEs this call sent (each on a port of its own) */
    int attempts() {
        return attempts;
    }

    @Override
    public String peer() {
        return peerAor;
    }

    @Override
    public boolean outgoing() {
        return true;
    }

    @Override
    public State state() {
        SipCall c = current;
        return c == null ? State.IDLE : c.state();
    }

    @Override
    public CompletableFuture<CallResult> result() {
        return result;
    }

    /** Completes {@link #result} once, noting when (the deciding attempt's time, else now). */
    void decide(CallResult r, long atNanos) {
        if (!result.isDone()) {
            resultAtNanos = atNanos != 0 ? atNanos : System.nanoTime();
            result.complete(r);
        }
    }

    @Override
    public java.util.OptionalLong resultAtNanos() {
        long t = resultAtNanos;
        return t == 0 ? java.util.OptionalLong.empty() : java.util.OptionalLong.of(t);
    }

    @Override
    public CompletableFuture<CallResult> ended() {
        return ended;
    }

    @Override
    public Optional<P2pSession> session() {
        SipCall c = current;
        return c == null ? Optional.empty() : c.session();
    }

    @Override
    public int localPort() {
        SipCall c = current;
        return c == null ? -1 : c.localPort();
    }

    @Override
    public List<String> trace() {
        List<String> all = new ArrayList<>();
        for (SipCall c : history) {
            all.addAll(c.trace());
        }
        return all;
    }

    @Override
    public void hangUp() {
        endpoint.hangUp(this);
    }

    @Override
    public String toString() {
        return "plain RFC 3261 call with " + peerAor + " (attempt " + attempts + "/" + maxAttempts + ") " + state();
    }
}
