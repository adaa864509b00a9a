package io.glareresolver.endpoint.internal;

import io.glareresolver.endpoint.P2pSession;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The P2P exchange of S81/S103/S119: datagrams between the two negotiated ports, directly.
 * A reader thread answers {@code PING n} with {@code PONG n} and completes our own pings; only
 * datagrams from the peer's negotiated port count.
 */
final class P2pLink implements P2pSession {

    private static final Logger LOG = LoggerFactory.getLogger(P2pLink.class);

    private final String callId;
    private final MediaPort port;
    private final InetSocketAddress remote;
    private final Map<Long, CompletableFuture<Long>> pings = new ConcurrentHashMap<>();
    private final AtomicLong sequence = new AtomicLong();
    private final AtomicLong received = new AtomicLong();
    private final Thread reader;

    P2pLink(String callId, MediaPort port, String remoteHost, int remotePort) {
        this.callId = callId;
        this.port = port;
        this.remote = new InetSocketAddress(remoteHost, remotePort);
        this.reader = new Thread(this::read, "p2p-" + port.port());
        this.reader.setDaemon(true);
    }

    void start() {
        reader.start();
    }

    private void read() {
        byte[] buf = new byte[512];
        while (!port.isClosed()) {
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            try {
                port.socket().receive(p);
            } catch (IOException e) {
                return; // socket closed: the session is over
            }
            if (p.getPort() != remote.getPort()) {
                LOG.warn("call-id={} datagram on port {} from unexpected port {} (negotiated {}), ignored",
                        callId, port.port(), p.getPort(), remote.getPort());
                continue;
            }
            received.incrementAndGet();
            String text = new String(p.getData(), 0, p.getLength(), StandardCharsets.US_ASCII);
            try {
                if (text.startsWith("PING ")) {
                    send("PONG " + text.substring(5));
                } else if (text.startsWith("PONG ")) {
                    CompletableFuture<Long> f = pings.remove(Long.parseLong(text.substring(5).trim()));
                    if (f != null) {
                        f.complete(System.nanoTime());
                    }
                }
            } catch (IOException | NumberFormatException e) {
                LOG.debug("call-id={} bad datagram: {}", callId, e.toString());
            }
        }
    }

    private void send(String text) throws IOException {
        byte[] b = text.getBytes(StandardCharsets.US_ASCII);
        port.socket().send(new DatagramPacket(b, b.length, remote));
    }

    @Override
    public Duration echo(Duration timeout) throws TimeoutException, InterruptedException {
        long n = sequence.incrementAndGet();
        CompletableFuture<Long> f = new CompletableFuture<>();
        pings.put(n, f);
        long start = System.nanoTime();
        try {
            send("PING " + n);
            long end = f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return Duration.ofNanos(end - start);
        } catch (IOException e) {
            throw new TimeoutException("cannot send on port " + port.port() + ": " + e.getMessage());
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        } finally {
            pings.remove(n);
        }
    }

    @Override
    public String callId() {
        return callId;
    }

    @Override
    public int localPort() {
        return port.port();
    }

    @Override
    public int remotePort() {
        return remote.getPort();
    }

    @Override
    public long datagramsReceived() {
        return received.get();
    }
}
