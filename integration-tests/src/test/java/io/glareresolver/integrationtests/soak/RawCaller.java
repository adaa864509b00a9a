package io.glareresolver.integrationtests.soak;

import io.glareresolver.integrationtests.rawsip.RawSipMessage;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.function.Predicate;

/**
 * A raw UDP caller for one call attempt (its own socket, closed at the end): it authenticates
 * the INVITE (407 then MD5 digest), waits for the callee's 180 relayed by the proxy, and then
 * either CANCELs (expecting 200 to the CANCEL and 487 to the INVITE, RFC 3261 §9.1) or vanishes
 * (closes the socket without a word: no final response will ever be acknowledged). Also
 * registers users with any contact. Every wait is bounded; requests are retransmitted
 * (Timer A/E doubling from 500 ms) until answered.
 */
final class RawCaller implements AutoCloseable {

    /** What a call attempt ended with; {@code detail} names the Call-ID and what went wrong. */
    record Result(boolean ok, String callId, int status, String detail) {
    }

    private final String user;
    private final String password;
    private final String domain;
    private final InetSocketAddress server;
    private final Duration timeout;
    private final DatagramSocket socket;
    private final byte[] buffer = new byte[16384];

    RawCaller(String user, String password, String domain, InetSocketAddress server, Duration timeout) throws IOException {
        this.user = user;
        this.password = password;
        this.domain = domain;
        this.server = server;
        this.timeout = timeout;
        this.socket = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0));
        socket.setReceiveBufferSize(1 << 20);
    }

    private String via(String branch) {
        return "SIP/2.0/UDP 127.0.0.1:" + socket.getLocalPort() + ";branch=" + branch + ";rport";
    }

    /** REGISTER {@code contact} for our user (digest on 401); returns the final status. */
    int register(String contact, int expires) throws IOException {
        String callId = "soak-reg-" + RawSipMessage.tag() + "@127.0.0.1";
        String fromTag = RawSipMessage.tag();
        String uri = "sip:" + domain;
        String first = register(uri, callId, fromTag, 1, contact, expires, null);
        RawSipMessage r = transact(first, callId, m -> m.isResponse() && m.status() >= 200 && m.method().equals("REGISTER"));
        if (r == null) {
            return 0;
        }
        if (r.status() == 401) {
            String again = register(uri, callId, fromTag, 2, contact, expires,
                    "Authorization: " + RawSipMessage.authorize(r, "REGISTER", uri, user, password));
            r = transact(again, callId, m -> m.isResponse() && m.status() >= 200 && m.cseq() == 2);
        }
        return r == null ? 0 : r.status();
    }

    private String register(String uri, String callId, String fromTag, int cseq, String contact, int expires, String auth) {
        return "REGISTER " + uri + " SIP/2.0\r\nVia: " + via(RawSipMessage.branch()) + "\r\nMax-Forwards: 70\r\n"
                + "From: <sip:" + user + "@" + domain + ">;tag=" + fromTag + "\r\nTo: <sip:" + user + "@" + domain + ">\r\n"
                + "Call-ID: " + callId + "\r\nCSeq: " + cseq + " REGISTER\r\nContact: <" + contact + ">\r\nExpires: " + expires
                + "\r\n" + (auth == null ? "" : auth + "\r\n") + "Content-Length: 0\r\n\r\n";
    }

    /** One INVITE to {@code callee}, ringing, then CANCEL: ok when the INVITE ends 487. */
    Result cancelAfterRinging(String callee) throws IOException {
        Invite inv = inviteUntilRinging(callee);
        if (inv.failure != null) {
            return inv.failure;
        }
        String cancel = "CANCEL " + inv.uri + " SIP/2.0\r\nVia: " + via(inv.branch) + "\r\nMax-Forwards: 70\r\n"
                + "From: " + inv.from + "\r\nTo: " + inv.to + "\r\nCall-ID: " + inv.callId + "\r\nCSeq: " + inv.cseq
                + " CANCEL\r\nContent-Length: 0\r\n\r\n";
        boolean cancelAnswered = false;
        RawSipMessage finalResponse = null;
        long deadline = System.nanoTime() + timeout.toNanos();
        long next = 500;
        send(cancel);
        long resendAt = System.nanoTime() + next * 1_000_000;
        while ((!cancelAnswered || finalResponse == null) && System.nanoTime() < deadline) {
            RawSipMessage m = receive(100);
            if (m == null) {
                if (!cancelAnswered && System.nanoTime() > resendAt) {
                    send(cancel);
                    next = Math.min(next * 2, 4000);
                    resendAt = System.nanoTime() + next * 1_000_000;
                }
                continue;
            }
            if (!m.isResponse() || !m.callId().equals(inv.callId)) {
                continue;
            }
            if (m.method().equals("CANCEL") && m.status() >= 200) {
                cancelAnswered = true;
            } else if (m.method().equals("INVITE") && m.status() >= 200) {
                finalResponse = m;
                send(ack(inv, m));
            }
        }
        if (finalResponse == null) {
            return new Result(false, inv.callId, 0, "no final response to the cancelled INVITE within " + timeout
                    + (cancelAnswered ? " (the CANCEL was answered)" : " (nor an answer to the CANCEL)"));
        }
        return new Result(finalResponse.status() == 487 && cancelAnswered, inv.callId, finalResponse.status(),
                "cancelled INVITE ended " + finalResponse.startLine() + (cancelAnswered ? "" : ", CANCEL unanswered"));
    }

    /** One INVITE to {@code callee}; once it rings, the socket closes (the caller vanishes). */
    Result vanishAfterRinging(String callee) throws IOException {
        Invite inv = inviteUntilRinging(callee);
        close();
        return inv.failure != null ? inv.failure : new Result(true, inv.callId, 180, "vanished while ringing");
    }

    /** The INVITE's identity, or why it never rang. */
    private record Invite(String uri, String branch, String from, String to, String callId, long cseq, Result failure) {
    }

    private Invite inviteUntilRinging(String callee) throws IOException {
        String uri = "sip:" + callee + "@" + domain;
        String callId = "soak-" + RawSipMessage.tag() + "@127.0.0.1";
        String from = "<sip:" + user + "@" + domain + ">;tag=" + RawSipMessage.tag();
        String to = "<sip:" + callee + "@" + domain + ">";
        String sdp = "v=0\r\no=" + user + " 1 1 IN IP4 127.0.0.1\r\ns=soak\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
                + "m=audio " + (20000 + (socket.getLocalPort() % 20000)) + " RTP/AVP 0\r\n";
        String branch1 = RawSipMessage.branch();
        RawSipMessage challenge = transact(invite(uri, branch1, from, to, callId, 1, null, sdp), callId,
                m -> m.isResponse() && m.status() >= 200 && m.method().equals("INVITE"));
        if (challenge == null) {
            return new Invite(uri, branch1, from, to, callId, 1, new Result(false, callId, 0, "no answer to the INVITE"));
        }
        send(ack(new Invite(uri, branch1, from, to, callId, 1, null), challenge));
        if (challenge.status() != 407) {
            return new Invite(uri, branch1, from, to, callId, 1, new Result(false, callId, challenge.status(),
                    "unauthenticated INVITE answered " + challenge.startLine() + ", expected 407"));
        }
        String branch2 = RawSipMessage.branch();
        String auth = "Proxy-Authorization: " + RawSipMessage.authorize(challenge, "INVITE", uri, user, password);
        String invite = invite(uri, branch2, from, to, callId, 2, auth, sdp);
        RawSipMessage ringing = transact(invite, callId, m -> m.isResponse() && m.method().equals("INVITE") && m.cseq() == 2
                && m.status() > 100);
        Invite inv = new Invite(uri, branch2, from, to, callId, 2, null);
        if (ringing == null) {
            return new Invite(uri, branch2, from, to, callId, 2, new Result(false, callId, 0,
                    "no 180 to the authenticated INVITE within " + timeout));
        }
        if (ringing.status() != 180) {
            if (ringing.status() >= 200) {
                send(ack(inv, ringing));
            }
            return new Invite(uri, branch2, from, to, callId, 2, new Result(false, callId, ringing.status(),
                    "authenticated INVITE answered " + ringing.startLine() + " instead of ringing"));
        }
        return inv;
    }

    private String invite(String uri, String branch, String from, String to, String callId, long cseq, String auth, String sdp) {
        return "INVITE " + uri + " SIP/2.0\r\nVia: " + via(branch) + "\r\nMax-Forwards: 70\r\nFrom: " + from + "\r\nTo: " + to
                + "\r\nCall-ID: " + callId + "\r\nCSeq: " + cseq + " INVITE\r\nContact: <sip:" + user + "@127.0.0.1:"
                + socket.getLocalPort() + ">\r\n" + (auth == null ? "" : auth + "\r\n")
                + "Content-Type: application/sdp\r\nContent-Length: " + sdp.getBytes(StandardCharsets.UTF_8).length
                + "\r\n\r\n" + sdp;
    }

    /** RFC 3261 §17.1.1.3: the ACK of a non-2xx final response, same branch, the response's To. */
    private String ack(Invite inv, RawSipMessage response) {
        return "ACK " + inv.uri + " SIP/2.0\r\nVia: " + via(inv.branch) + "\r\nMax-Forwards: 70\r\nFrom: " + inv.from
                + "\r\nTo: " + response.header("to").orElse(inv.to) + "\r\nCall-ID: " + inv.callId + "\r\nCSeq: " + inv.cseq
                + " ACK\r\nContent-Length: 0\r\n\r\n";
    }

    /** Sends {@code request} and retransmits it (500 ms doubling to 4 s; not after a provisional) until {@code done} matches. */
    private RawSipMessage transact(String request, String callId, Predicate<RawSipMessage> done) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        long next = 500;
        boolean provisional = false;
        send(request);
        long resendAt = System.nanoTime() + next * 1_000_000;
        while (System.nanoTime() < deadline) {
            RawSipMessage m = receive(100);
            if (m == null) {
                if (!provisional && System.nanoTime() > resendAt) {
                    send(request);
                    next = Math.min(next * 2, 4000);
                    resendAt = System.nanoTime() + next * 1_000_000;
                }
                continue;
            }
            if (!m.callId().equals(callId)) {
                // a stray: e.g. the final response the proxy still retransmits to a vanished caller that had
                // this port before (RFC 3261 §17.2.1, until Timer H)
                continue;
            }
            if (done.test(m)) {
                return m;
            }
            if (m.isResponse() && m.status() < 200) {
                provisional = true;
            }
        }
        return null;
    }

    private RawSipMessage receive(int millis) throws IOException {
        socket.setSoTimeout(millis);
        DatagramPacket p = new DatagramPacket(buffer, buffer.length);
        try {
            socket.receive(p);
        } catch (SocketTimeoutException e) {
            return null;
        }
        return RawSipMessage.parse(p.getData(), p.getLength());
    }

    private void send(String text) throws IOException {
        byte[] data = text.getBytes(StandardCharsets.UTF_8);
        socket.send(new DatagramPacket(data, data.length, server));
    }

    @Override
    public void close() {
        socket.close();
    }
}
