package io.glareresolver.endpoint.internal;

import java.net.DatagramSocket;
import java.util.concurrent.atomic.AtomicBoolean;

/** One opened media port; {@link #close()} releases the socket and counts it once. */
public final class MediaPort implements AutoCloseable {

    private final DatagramSocket socket;
    private final PortLedger ledger;
    private final int port;
    private final AtomicBoolean closed = new AtomicBoolean();

    MediaPort(DatagramSocket socket, PortLedger ledger) {
        this.socket = socket;
        this.ledger = ledger;
        this.port = socket.getLocalPort();
    }

    public int port() {
        return port;
    }

    DatagramSocket socket() {
        return socket;
    }

    public boolean isClosed() {
        return closed.get();
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            socket.close();
            ledger.released();
        }
    }
}
