package io.glareresolver.endpoint;

/** How a call attempt ended up. */
public enum Outcome {
    /** Exactly one session is up with the peer (on our INVITE or on the peer's). */
    ESTABLISHED,
    /** No session: refused (NG), cancelled, timed out or abandoned; the port is closed. */
    FAILED
}
