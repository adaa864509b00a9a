package io.glareresolver.integrationtests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

import io.glareresolver.endpoint.CallHandle;
import io.glareresolver.endpoint.CallResult;
import io.glareresolver.endpoint.GlareEndpoint;
import io.glareresolver.endpoint.testing.InboundInviteGate;

/**
 * The gate that fixes the arrival order of two crossing INVITEs without a guessed delay: the second
 * caller of a crossing is built with {@link InboundInviteGate} on this gate, so it handles a peer's
 * INVITE only while the gate is open. {@link #cross} closes it, sends the first INVITE, waits until
 * the server holds it, sends the second, waits until the server counted the crossing, and opens it:
 * the server sees the first caller's INVITE first, and the second caller has not handled it when it
 * sends its own, so the two really cross (a loaded machine cannot reorder them).
 *
 * <p>Open unless a crossing is under way. As a {@link Supplier} it is what
 * {@link InboundInviteGate#build} asks for each incoming INVITE.
 */
public final class CrossingGate implements Supplier<CompletableFuture<Void>> {

    /** A bounded wait on the server while the gate is closed. */
    @FunctionalInterface
    public interface ServerWait {
        void await() throws Exception;
    }

    /** A bounded wait once both INVITEs are sent; it may look at the first caller's call. */
    @FunctionalInterface
    public interface CrossedWait {
        void await(CallHandle first) throws Exception;
    }

    private final AtomicReference<CompletableFuture<Void>> current =
            new AtomicReference<>(CompletableFuture.completedFuture(null));

    /** The stage an incoming INVITE of a gated endpoint waits for. */
    @Override
    public CompletableFuture<Void> get() {
        return current.get();
    }

    /** Closes the gate outside a crossing: gated endpoints hold incoming INVITEs until {@link #release}. */
    public void hold() {
        current.set(new CompletableFuture<>());
    }

    /** Opens the gate: the held INVITEs are handled now. */
    public void release() {
        current.get().complete(null);
    }

    /**
     * One crossing in a fixed arrival order: {@code first} is sent, then {@code firstHeld} waits
     * until the server holds it; {@code second} is sent, then {@code crossed} waits until the
     * server counted the crossing; then the gate opens, also when a wait failed.
     */
    public Crossing cross(GlareEndpoint.PreparedCall first, GlareEndpoint.PreparedCall second, ServerWait firstHeld,
                          CrossedWait crossed) throws Exception {
        CompletableFuture<Void> gate = new CompletableFuture<>();
        current.set(gate);
        CallHandle h1;
        CallHandle h2;
        try {
            h1 = first.send();
            firstHeld.await();
            h2 = second.send();
            crossed.await(h1);
        } finally {
            gate.complete(null); // the second caller now handles the first INVITE
            current.set(CompletableFuture.completedFuture(null));
        }
        return new Crossing(h1, h2);
    }

    /** The two calls of one crossing, the first caller's first. */
    public record Crossing(CallHandle first, CallHandle second) {

        /**
         * Waits (bounded) for both calls' results and asserts one session: both sides in it, on
         * the same Call-ID. {@code context} leads every failure message.
         */
        public Session awaitOneSession(Duration wait, String context) throws Exception {
            CallResult r1 = first.result().get(wait.toMillis(), TimeUnit.MILLISECONDS);
            CallResult r2 = second.result().get(wait.toMillis(), TimeUnit.MILLISECONDS);
            String where = context + r1 + " / " + r2 + "\n" + first.trace() + "\n" + second.trace();
            assertTrue(r1.established() && r2.established(), "both sides in the session: " + where);
            assertEquals(r1.sessionCallId(), r2.sessionCallId(), "one session, not two: " + where);
            return new Session(r1, r2, where);
        }

        /** The first caller hangs up; waits (bounded) until both calls ended. */
        public void hangUp(Duration wait) throws Exception {
            first.hangUp();
            first.ended().get(wait.toMillis(), TimeUnit.MILLISECONDS);
            second.ended().get(wait.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    /** The results of a crossing's one session, and where they stand for failure messages. */
    public record Session(CallResult first, CallResult second, String where) {
    }
}
