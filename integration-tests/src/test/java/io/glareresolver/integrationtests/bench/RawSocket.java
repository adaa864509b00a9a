package io.glareresolver.integrationtests.bench;

import io.glareresolver.integrationtests.rawsip.RawSipMessage;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BiConsumer;

import io.glareresolver.integrationtests.felix.SipUsersFile.SipUser;

/**
 * One loopback UDP socket of the raw agents with the single thread that receives on it: every
 * datagram is parsed and handed to the agent's handler on that thread (no pool, no queue), except
 * the final responses to the REGISTERs this socket sent, which complete the waiting
 * {@link #register} call. Buffers of 4 MB (DEPENDENCIES.md: 64 KB lost datagrams in bursts).
 */
final class RawSocket implements AutoCloseable {


    private final DatagramSocket socket;
    private final Thread receiver;
    private final Map<String, CompletableFuture<RawSipMessage>> registers = new ConcurrentHashMap<>();
    private volatile BiConsumer<RawSipMessage, InetSocketAddress> handler = (m, from) -> { };
    private volatile boolean open = true;
    /** Datagrams that did not parse (counted, not thrown: the receive thread must go on). */
    final LongAdder unparsable = new LongAdder();

    RawSocket(String name) throws IOException {
        socket = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0));
        socket.setReceiveBufferSize(4 << 20);
        socket.setSendBufferSize(4 << 20);
        receiver = new Thread(this::receive, name + "-" + socket.getLocalPort());
        receiver.setDaemon(true);
        receiver.start();
    }

    int port() {
        return socket.getLocalPort();
    }

    void handler(BiConsumer<RawSipMessage, InetSocketAddress> h) {
        this.handler = h;
    }

    void send(byte[] data, InetSocketAddress to) {
        try {
            socket.send(new DatagramPacket(data, data.length, to));
        } catch (IOException e) {
            if (open) {
                throw new IllegalStateException("cannot send on " + port(), e);
            }
        }
    }

    void send(String text, InetSocketAddress to) {
        send(text.getBytes(StandardCharsets.UTF_8), to);
    }

    private void receive() {
        byte[] buf = new byte[65535];
        DatagramPacket p = new DatagramPacket(buf, buf.length);
        while (open) {
            try {
                p.setLength(buf.length);
                socket.receive(p);
                RawSipMessage m;
                try {
                    m = RawSipMessage.parse(p.getData(), p.getLength());
                } catch (RuntimeException bad) {
                    unparsable.increment();
                    continue;
                }
                if (m.isResponse() && m.status() >= 200 && "REGISTER".equals(m.method())) {
                    CompletableFuture<RawSipMessage> f = registers.get(m.callId() + "|" + m.cseq());
                    if (f != null) {
                        f.complete(m);
                    }
                    continue;
                }
                handler.accept(m, (InetSocketAddress) p.getSocketAddress());
            } catch (SocketException closed) {
                return;
            } catch (IOException | RuntimeException e) {
                if (!open) {
                    return;
                }
                unparsable.increment(); // a handler bug must not end the receive loop; counted, surfaced as failures
            }
        }
    }

    /**
     * Registers {@code user} with {@code contact} at {@code server} (RFC 3261 §10.2; on 401 the MD5
     * digest, RFC 2617, nc=1), retransmitting from 500 ms (Timer E) within {@code timeout}.
     *
     * @return the challenge answered (its nonce may be reused by the caller with a higher nc), or null if none came
     */
    RawSipMessage.Challenge register(SipUser user, String domain, String contact, int expires, InetSocketAddress server,
                                     Duration timeout) throws Exception {
        String callId = "raw-reg-" + RawSipMessage.tag() + "@127.0.0.1";
        String fromTag = RawSipMessage.tag();
        String uri = "sip:" + domain;
        RawSipMessage r = transactRegister(registerText(user, domain, uri, callId, fromTag, 1, contact, expires, null),
                callId, 1, server, timeout);
        RawSipMessage.Challenge challenge = null;
        if (r.status() == 401) {
            challenge = r.md5Challenge().orElseThrow(() -> new IllegalStateException("401 without an MD5 challenge"));
            String ha1 = RawSipMessage.md5(user.name() + ":" + challenge.realm() + ":" + user.password());
            String auth = "Authorization: " + RawSipMessage.credentials(challenge, user.name(), ha1, "REGISTER", uri, 1);
            r = transactRegister(registerText(user, domain, uri, callId, fromTag, 2, contact, expires, auth), callId, 2,
                    server, timeout);
        }
        if (r.status() / 100 != 2) {
            throw new IllegalStateException("REGISTER of " + user.name() + " answered " + r.startLine());
        }
        return challenge;
    }

    private String registerText(SipUser user, String domain, String uri, String callId, String fromTag, int cseq,
                                String contact, int expires, String auth) {
        return "REGISTER " + uri + " SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:" + port() + ";branch=" + RawSipMessage.branch()
                + ";rport\r\nMax-Forwards: 70\r\nFrom: <sip:" + user.name() + "@" + domain + ">;tag=" + fromTag
                + "\r\nTo: <sip:" + user.name() + "@" + domain + ">\r\nCall-ID: " + callId + "\r\nCSeq: " + cseq
                + " REGISTER\r\nContact: <" + contact + ">\r\nExpires: " + expires + "\r\n"
                + (auth == null ? "" : auth + "\r\n") + "Content-Length: 0\r\n\r\n";
    }

    private RawSipMessage transactRegister(String request, String callId, int cseq, InetSocketAddress server,
                                           Duration timeout) throws Exception {
        String key = callId + "|" + cseq;
        CompletableFuture<RawSipMessage> f = new CompletableFuture<>();
        registers.put(key, f);
        try {
            long deadline = System.nanoTime() + timeout.toNanos();
            long interval = 500;
            while (true) {
                send(request, server);
                long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (left <= 0) {
                    throw new TimeoutException("no final response to REGISTER " + callId + " within " + timeout);
                }
                try {
                    return f.get(Math.min(interval, left), TimeUnit.MILLISECONDS);
                } catch (TimeoutException retransmit) {
                    interval = Math.min(interval * 2, 4000); // RFC 3261 §17.1.2.2 Timer E, capped at T2
                }
            }
        } finally {
            registers.remove(key);
        }
    }

    @Override
    public void close() throws InterruptedException {
        open = false;
        socket.close();
        receiver.join(TimeUnit.SECONDS.toMillis(5));
    }
}
