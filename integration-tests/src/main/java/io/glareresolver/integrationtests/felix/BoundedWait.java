package io.glareresolver.integrationtests.felix;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;

/**
 * A bounded poll for state that offers no event to wait on (a socket bound by another component,
 * a service registered asynchronously). Each wait names what it waits for, so a timeout says why.
 */
public final class BoundedWait {

    private static final long PAUSE_NANOS = Duration.ofMillis(20).toNanos();

    private BoundedWait() {
    }

    /** Polls until the supplier returns a present value, or fails after the timeout. */
    public static <T> T until(String what, Duration timeout, Supplier<Optional<T>> probe) throws TimeoutException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            Optional<T> value = probe.get();
            if (value.isPresent()) {
                return value.get();
            }
            if (System.nanoTime() - deadline > 0) {
                throw new TimeoutException("timed out after " + timeout.toMillis() + " ms waiting for " + what);
            }
            LockSupport.parkNanos(PAUSE_NANOS);
            if (Thread.interrupted()) {
                Thread.currentThread().interrupt();
                throw new TimeoutException("interrupted while waiting for " + what);
            }
        }
    }

    /** Polls until the condition holds, or fails after the timeout. */
    public static void untilTrue(String what, Duration timeout, Supplier<Boolean> condition) throws TimeoutException {
        until(what, timeout, () -> condition.get() ? Optional.of(Boolean.TRUE) : Optional.empty());
    }
}
