package io.glareresolver.endpoint;

import java.time.Duration;

/** Peer-to-peer datagrams on the negotiated ports (seed S81/S103/S119). */
public interface P2pSession {

    /** @return the Call-ID of the session's dialog */
    String callId();

    /** @return our media port */
    int localPort();

    /** @return the peer's media port */
    int remotePort();

    /**
     * Sends one datagram from our port to the peer's port and waits for the peer's echo; the
     * echo must come back from the peer's negotiated port, which proves both ports right.
     *
     * @return the round-trip time
     * @throws java.util.concurrent.TimeoutException no echo from the negotiated port in time
     */
    Duration echo(Duration timeout) throws java.util.concurrent.TimeoutException, InterruptedException;

    /** @return datagrams received on the session from the peer's port */
    long datagramsReceived();
}
