package io.glareresolver.protocol;

/** What a device sends to the peer's crossing INVITE. */
public enum Side {
    /** Positive answer, 200 OK with the port already opened (seed S71–S73). */
    SEND_OK,
    /** Negative answer, 491 (seed S75; claim 4, claim 8). */
    SEND_NG
}
