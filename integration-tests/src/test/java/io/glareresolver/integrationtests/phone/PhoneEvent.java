package io.glareresolver.integrationtests.phone;

/**
 * One event a phone process reported (a call state change), as {@link PhoneEventLog} keeps it:
 * each phone driver has its own record with what its phone tells; all have a type and the
 * wall-clock time the test read it, which is what a crossing round selects events by.
 */
public interface PhoneEvent {

    /** The phone's own name of the event ({@code CALL_ESTABLISHED}, {@code Connected}, …). */
    String type();

    /** {@link System#currentTimeMillis()} when the test read the event from the phone. */
    long atMillis();
}
