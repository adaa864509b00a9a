package io.glareresolver.integrationtests.bench;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

import io.glareresolver.endpoint.CallHandle;
import io.glareresolver.endpoint.CallResult;
import io.glareresolver.endpoint.GlareEndpoint;

/**
 * Full calls through the proxy (INVITE, 407, INVITE with credentials, 200, ACK, BYE), one call at a
 * time per endpoint pair, every pair looping on the generator threads until told to stop. Closed
 * loop (as fast as the calls complete) or paced (an offered rate shared by all pairs: each call
 * starts at its slot, or at once when the pair is late).
 */
final class CallLoad {

    /** One caller and its callee; at most one call between them at a time. */
    record Pair(GlareEndpoint caller, GlareEndpoint callee, String calleeUser) {
    }

    private final List<Pair> pairs;
    private final ScheduledExecutorService generators;
    final LongAdder completed = new LongAdder();
    final LongAdder failed = new LongAdder();
    private volatile Samples latency = new Samples(1);
    private volatile boolean running;
    private volatile long intervalNanos;
    private final AtomicLong slot = new AtomicLong();
    private volatile long startNanos;
    private CountDownLatch stopped;

    CallLoad(List<Pair> pairs, ScheduledExecutorService generators) {
        this.pairs = pairs;
        this.generators = generators;
    }

    /** Starts every pair's loop; {@code ratePerSecond} 0 = closed loop. Latencies go to {@code latency}. */
    synchronized void start(double ratePerSecond, Samples into) {
        if (running) {
            throw new IllegalStateException("already running");
        }
        latency = into;
        intervalNanos = ratePerSecond <= 0 ? 0 : (long) (1e9 / ratePerSecond);
        slot.set(0);
        startNanos = System.nanoTime();
        running = true;
        stopped = new CountDownLatch(pairs.size());
        for (Pair p : pairs) {
            generators.execute(() -> next(p));
        }
    }

    /** Stops starting calls and waits (bounded) until every pair's call in flight has ended. */
    void stop() throws InterruptedException, TimeoutException {
        running = false;
        if (!stopped.await(30, TimeUnit.SECONDS)) {
            throw new TimeoutException(stopped.getCount() + " pairs still in a call 30 s after the load stopped");
        }
    }

    /** Swaps the latency samples without stopping (round boundaries). */
    void sampleInto(Samples into) {
        latency = into;
    }

    private void next(Pair p) {
        if (!running) {
            stopped.countDown();
            return;
        }
        if (intervalNanos > 0) {
            long due = startNanos + slot.getAndIncrement() * intervalNanos;
            long wait = due - System.nanoTime();
            if (wait > 200_000) {
                generators.schedule(() -> call(p), wait, TimeUnit.NANOSECONDS);
                return;
            }
        }
        call(p);
    }

    private void call(Pair p) {
        if (!running) {
            stopped.countDown();
            return;
        }
        Samples into = latency;
        long t0 = System.nanoTime();
        CallHandle h;
        try {
            h = p.caller().call(p.calleeUser());
        } catch (RuntimeException e) {
            failed.increment();
            generators.schedule(() -> next(p), 100, TimeUnit.MILLISECONDS);
            return;
        }
        h.result().orTimeout(10, TimeUnit.SECONDS).whenComplete((r, e) -> {
            boolean ok = e == null && r.established();
            if (ok) {
                into.add(h.resultAtNanos().orElse(System.nanoTime()) - t0);
            }
            h.hangUp(); // BYE through the proxy (or CANCEL if still pending)
            CompletableFuture<CallResult> end = h.ended().orTimeout(10, TimeUnit.SECONDS);
            end.whenComplete((x, y) -> {
                if (ok && y == null) {
                    completed.increment();
                } else {
                    failed.increment();
                }
                generators.execute(() -> next(p)); // never on the endpoint's own thread: call() waits for it
            });
        });
    }
}
