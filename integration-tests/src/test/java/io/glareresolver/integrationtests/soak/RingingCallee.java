package io.glareresolver.integrationtests.soak;

import io.glareresolver.integrationtests.rawsip.RawSipMessage;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A raw UDP callee for many registered users at once (they all register this socket as their
 * contact): every INVITE rings (180) and is never answered by itself. A CANCEL gets 200 and the
 * INVITE 487 (RFC 3261 §9.2); {@link #giveUp} ends a ringing INVITE with a final response (a
 * phone's no-answer timeout). Final responses are retransmitted until the proxy's ACK (Timer G,
 * for at most 32 s = Timer H). State lives only while an INVITE is in progress.
 */
final class RingingCallee implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(RingingCallee.class);
    private static final long[] RETRANSMIT_MILLIS = {500, 1000, 2000, 4000, 4000, 4000, 4000, 4000, 4000, 4000};

    /** One INVITE in progress. */
    private static final class Ringing {
        final RawSipMessage invite;
        final SocketAddress from;
        final String toTag = RawSipMessage.tag();
        volatile String last;
        volatile boolean finalSent;
        ScheduledFuture<?> retransmit;

        Ringing(RawSipMessage invite, SocketAddress from) {
            this.invite = invite;
            this.from = from;
        }
    }

    private final DatagramSocket socket;
    private final Thread receiver;
    private final ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "soak-callee-timers");
        t.setDaemon(true);
        return t;
    });
    private final Map<String, Ringing> byBranch = new ConcurrentHashMap<>();
    private final Map<String, Ringing> byCallId = new ConcurrentHashMap<>();
    private final AtomicLong invites = new AtomicLong();
    private final AtomicLong cancelled = new AtomicLong();
    private final AtomicLong acked = new AtomicLong();
    private final AtomicLong unacknowledged = new AtomicLong();
    private final AtomicLong strays = new AtomicLong();
    private volatile boolean closed;

    RingingCallee() throws SocketException {
        socket = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0));
        socket.setReceiveBufferSize(4 << 20);
        socket.setSendBufferSize(4 << 20);
        receiver = new Thread(this::receive, "soak-callee-" + socket.getLocalPort());
        receiver.setDaemon(true);
        receiver.start();
    }

    int port() {
        return socket.getLocalPort();
    }

    /** @return the contact URI of {@code user} at this socket */
    String contact(String user) {
        return "sip:" + user + "@127.0.0.1:" + port();
    }

    long invites() {
        return invites.get();
    }

    long cancelled() {
        return cancelled.get();
    }

    /** Final responses the proxy never acknowledged within Timer H (should stay 0). */
    long unacknowledged() {
        return unacknowledged.get();
    }

    /** Requests for an INVITE this callee does not know (CANCEL/ACK after the fact). */
    long strays() {
        return strays.get();
    }

    /** INVITEs in progress here (ringing or final not yet acknowledged). */
    int inProgress() {
        return byBranch.size();
    }

    /**
     * Ends the ringing INVITE of this Call-ID with a final response (no answer).
     *
     * @return false if no such INVITE is ringing
     */
    boolean giveUp(String callId, int status, String reason) {
        Ringing r = byCallId.get(callId);
        if (r == null) {
            return false;
        }
        return sendFinal(r, status, reason);
    }

    private void receive() {
        byte[] buffer = new byte[16384];
        while (!closed) {
            DatagramPacket p = new DatagramPacket(buffer, buffer.length);
            try {
                socket.receive(p);
            } catch (IOException e) {
                if (!closed) {
                    LOG.warn("soak callee: receive failed: {}", e.toString());
                }
                return;
            }
            try {
                handle(RawSipMessage.parse(p.getData(), p.getLength()), p.getSocketAddress());
            } catch (RuntimeException e) {
                LOG.warn("soak callee: cannot handle a datagram: {}", e.toString(), e);
            }
        }
    }

    private void handle(RawSipMessage m, SocketAddress from) {
        if (m.isResponse()) {
            return;
        }
        String branch = m.topBranch();
        switch (m.method()) {
            case "INVITE" -> {
                Ringing known = byBranch.get(branch);
                if (known != null) {
                    send(known.last, known.from); // a retransmission: repeat our last response
                    return;
                }
                Ringing r = new Ringing(m, from);
                invites.incrementAndGet();
                byBranch.put(branch, r);
                byCallId.put(m.callId(), r);
                r.last = RawSipMessage.response(m, 180, "Ringing", r.toTag, contact("callee"));
                send(r.last, from);
            }
            case "CANCEL" -> {
                Ringing r = byBranch.get(branch);
                send(RawSipMessage.response(m, r == null ? 481 : 200, r == null ? "Call/Transaction Does Not Exist" : "OK",
                        RawSipMessage.tag(), null), from);
                if (r == null) {
                    strays.incrementAndGet();
                    return;
                }
                if (sendFinal(r, 487, "Request Terminated")) {
                    cancelled.incrementAndGet();
                }
            }
            case "ACK" -> {
                Ringing r = byBranch.remove(branch);
                if (r == null) {
                    return; // a retransmitted ACK
                }
                acked.incrementAndGet();
                forget(r);
            }
            case "BYE", "OPTIONS" -> send(RawSipMessage.response(m, 200, "OK", RawSipMessage.tag(), null), from);
            default -> send(RawSipMessage.response(m, 501, "Not Implemented", RawSipMessage.tag(), null), from);
        }
    }

    private boolean sendFinal(Ringing r, int status, String reason) {
        synchronized (r) {
            if (r.finalSent) {
                return false;
            }
            r.finalSent = true;
            r.last = RawSipMessage.response(r.invite, status, reason, r.toTag, null);
            send(r.last, r.from);
            r.retransmit = timers.schedule(() -> retransmit(r, 0), RETRANSMIT_MILLIS[0], TimeUnit.MILLISECONDS);
        }
        return true;
    }

    /** RFC 3261 §17.2.1: the final response again (Timer G) until the ACK, at most until Timer H. */
    private void retransmit(Ringing r, int round) {
        synchronized (r) {
            if (byBranch.get(r.invite.topBranch()) != r) {
                return; // acknowledged
            }
            if (round + 1 >= RETRANSMIT_MILLIS.length) {
                unacknowledged.incrementAndGet();
                LOG.warn("[{}] soak callee: final response never acknowledged", r.invite.callId());
                byBranch.remove(r.invite.topBranch(), r);
                forget(r);
                return;
            }
            send(r.last, r.from);
            r.retransmit = timers.schedule(() -> retransmit(r, round + 1), RETRANSMIT_MILLIS[round + 1], TimeUnit.MILLISECONDS);
        }
    }

    private void forget(Ringing r) {
        byCallId.remove(r.invite.callId(), r);
        synchronized (r) {
            if (r.retransmit != null) {
                r.retransmit.cancel(false);
            }
        }
    }

    private void send(String text, SocketAddress to) {
        byte[] data = text.getBytes(StandardCharsets.UTF_8);
        try {
            socket.send(new DatagramPacket(data, data.length, to));
        } catch (IOException e) {
            if (!closed) {
                LOG.warn("soak callee: send failed: {}", e.toString());
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        socket.close();
        timers.shutdownNow();
        try {
            receiver.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
