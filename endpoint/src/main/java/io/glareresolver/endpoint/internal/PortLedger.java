package io.glareresolver.endpoint.internal;

import io.glareresolver.endpoint.PortCounts;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicLong;

/** Counts every media port opened (a bound UDP socket) and closed (the socket released). */
public final class PortLedger {

    private final AtomicLong opened = new AtomicLong();
    private final AtomicLong closed = new AtomicLong();

    /** S61 / S111: binds a fresh UDP socket on 127.0.0.1. */
    public MediaPort open() {
        try {
            DatagramSocket socket = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            opened.incrementAndGet();
            return new MediaPort(socket, this);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open a media port on 127.0.0.1", e);
        }
    }

    void released() {
        closed.incrementAndGet();
    }

    public PortCounts counts() {
        return new PortCounts(opened.get(), closed.get());
    }
}
