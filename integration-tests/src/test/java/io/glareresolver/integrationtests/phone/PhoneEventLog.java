package io.glareresolver.integrationtests.phone;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * The events one phone process reported, in the order it reported them: appended by the thread
 * that reads the phone's output, read and waited on by the test. Thread-safe; a wait is bounded
 * and wakes on every new event (no polling pause between events).
 *
 * @param <E> the phone driver's own event record
 */
public final class PhoneEventLog<E extends PhoneEvent> {

    private final List<E> events = new ArrayList<>();

    /** Adds an event and wakes every {@link #await} so it sees it at once. */
    public void append(E event) {
        synchronized (events) {
            events.add(event);
            events.notifyAll();
        }
    }

    /** Every event so far, in the order the phone reported them (a copy: the reader goes on appending). */
    public List<E> snapshot() {
        synchronized (events) {
            return List.copyOf(events);
        }
    }

    /** Events of {@code type} reported at or after {@code sinceMillis}. */
    public List<E> ofType(String type, long sinceMillis) {
        return snapshot().stream().filter(e -> e.type().equals(type) && e.atMillis() >= sinceMillis).toList();
    }

    /** Waits, bounded, for the first event matching {@code filter}; empty on timeout. */
    public Optional<E> await(Predicate<? super E> filter, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (events) {
            while (true) {
                Optional<E> found = events.stream().filter(filter).findFirst();
                long left = deadline - System.nanoTime();
                if (found.isPresent() || left <= 0) {
                    return found;
                }
                TimeUnit.NANOSECONDS.timedWait(events, left);
            }
        }
    }
}
