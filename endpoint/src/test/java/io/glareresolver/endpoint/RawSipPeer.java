package io.glareresolver.endpoint;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;

/**
 * A SIP peer written by hand on a UDP socket, for tests that need exact control of what the
 * endpoint receives (server instructions, a missing ACK). It plays a UA, or a server relaying
 * instructions, on 127.0.0.1.
 */
final class RawSipPeer implements AutoCloseable {

    final DatagramSocket socket;
    final String user;
    final List<String> log = new ArrayList<>();

    RawSipPeer(String user) throws Exception {
        this.user = user;
        this.socket = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    }

    int port() {
        return socket.getLocalPort();
    }

    String contact() {
        return "sip:" + user + "@127.0.0.1:" + port();
    }

    /** @return the next message whose first line starts with {@code start} (others are skipped) */
    String receive(String start, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        byte[] buf = new byte[8192];
        while (true) {
            long left = (deadline - System.nanoTime()) / 1_000_000;
            if (left <= 0) {
                throw new AssertionError("no " + start + " within " + timeout + "; got " + log);
            }
            socket.setSoTimeout((int) left);
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            try {
                socket.receive(p);
            } catch (SocketTimeoutException e) {
                continue;
            }
            String m = new String(p.getData(), 0, p.getLength(), StandardCharsets.UTF_8);
            log.add(m.substring(0, m.indexOf('\r')));
            if (m.startsWith(start)) {
                return m;
            }
        }
    }

    void send(String text, int port) throws Exception {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        socket.send(new DatagramPacket(b, b.length, InetAddress.getLoopbackAddress(), port));
    }

    static String header(String msg, String name) {
        for (String line : msg.split("\r\n")) {
            int c = line.indexOf(':');
            if (c > 0 && line.substring(0, c).trim().equalsIgnoreCase(name)) {
                return line.substring(c + 1).trim();
            }
        }
        return null;
    }

    static List<String> headers(String msg, String name) {
        List<String> out = new ArrayList<>();
        for (String line : msg.split("\r\n")) {
            int c = line.indexOf(':');
            if (c > 0 && line.substring(0, c).trim().equalsIgnoreCase(name)) {
                out.add(line.substring(c + 1).trim());
            }
        }
        return out;
    }

    static String sdp(int port) {
        return "v=0\r\no=raw 1 1 IN IP4 127.0.0.1\r\ns=raw\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio " + port
                + " RTP/AVP 0\r\n";
    }

    /** An initial INVITE from us to {@code target} (the endpoint's contact), with extra header lines. */
    String invite(String callId, String target, int targetPort, int mediaPort, String... extra) {
        String body = sdp(mediaPort);
        StringBuilder b = new StringBuilder("INVITE " + target + " SIP/2.0\r\n")
                .append("Via: SIP/2.0/UDP 127.0.0.1:").append(port()).append(";branch=z9hG4bK").append(UUID.randomUUID()).append("\r\n")
                .append("Max-Forwards: 70\r\n")
                .append("From: <sip:").append(user).append("@127.0.0.1>;tag=raw").append(callId.hashCode() & 0xffff).append("\r\n")
                .append("To: <").append(target).append(">\r\n")
                .append("Call-ID: ").append(callId).append("\r\n")
                .append("CSeq: 1 INVITE\r\n")
                .append("Contact: <").append(contact()).append(">\r\n");
        for (String e : extra) {
            b.append(e).append("\r\n");
        }
        return b.append("Content-Type: application/sdp\r\nContent-Length: ").append(body.length()).append("\r\n\r\n")
                .append(body).toString();
    }

    /** A response to {@code request}, with a To tag and extra header lines (and optional SDP port). */
    String response(String request, String status, int mediaPort, String... extra) {
        StringBuilder b = new StringBuilder("SIP/2.0 " + status + "\r\n");
        for (String via : headers(request, "via")) {
            b.append("Via: ").append(via).append("\r\n");
        }
        String to = header(request, "to");
        b.append("From: ").append(header(request, "from")).append("\r\n")
                .append("To: ").append(to).append(to.toLowerCase(Locale.ROOT).contains("tag=") ? "" : ";tag=rawto").append("\r\n")
                .append("Call-ID: ").append(header(request, "call-id")).append("\r\n")
                .append("CSeq: ").append(header(request, "cseq")).append("\r\n")
                .append("Contact: <").append(contact()).append(">\r\n");
        for (String e : extra) {
            b.append(e).append("\r\n");
        }
        if (mediaPort > 0) {
            String body = sdp(mediaPort);
            return b.append("Content-Type: application/sdp\r\nContent-Length: ").append(body.length()).append("\r\n\r\n")
                    .append(body).toString();
        }
        return b.append("Content-Length: 0\r\n\r\n").toString();
    }

    /** The ACK for a 2xx {@code ok} to our INVITE {@code invite} (RFC 3261 §13.2.2.4). */
    String ack(String invite, String ok, String target) {
        return "ACK " + target + " SIP/2.0\r\n"
                + "Via: SIP/2.0/UDP 127.0.0.1:" + port() + ";branch=z9hG4bK" + UUID.randomUUID() + "\r\n"
                + "Max-Forwards: 70\r\n"
                + "From: " + header(invite, "from") + "\r\n"
                + "To: " + header(ok, "to") + "\r\n"
                + "Call-ID: " + header(invite, "call-id") + "\r\n"
                + "CSeq: 1 ACK\r\n"
                + "Content-Length: 0\r\n\r\n";
    }

    @Override
    public void close() {
        socket.close();
    }
}
