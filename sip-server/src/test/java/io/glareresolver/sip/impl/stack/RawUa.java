package io.glareresolver.sip.impl.stack;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.glareresolver.sip.impl.auth.DigestAlgorithm;
import io.glareresolver.sip.impl.auth.DigestCalculation;

/**
 * A phone written as text over one raw socket on loopback (UDP, or one TCP connection), so that a
 * test chooses every byte of its Via and Contact: a phone behind a NAT names an address it does not
 * receive on, and the test sees exactly which socket a request arrives on. It answers digest
 * challenges (MD5) itself.
 */
final class RawUa implements AutoCloseable {

    final String user;
    final String password;
    final String transport;
    final int serverPort;
    private final DatagramSocket udp;
    private final Socket tcp;
    private final ByteArrayOutputStream stream = new ByteArrayOutputStream();
    private final List<String> pending = new ArrayList<>();
    private final String callId = "raw-" + TestPhone.tag();
    private long cseq = 1;

    RawUa(String user, String password, String transport, int serverPort) throws IOException {
        this.user = user;
        this.password = password;
        this.transport = transport;
        this.serverPort = serverPort;
        if ("tcp".equals(transport)) {
            udp = null;
            tcp = new Socket();
            tcp.connect(new InetSocketAddress(RawPeer.LO, serverPort), 2000);
        } else {
            udp = new DatagramSocket(0, RawPeer.LO);
            tcp = null;
        }
    }

    /** The port this phone really sends from and receives on. */
    int localPort() {
        return udp != null ? udp.getLocalPort() : tcp.getLocalPort();
    }

    void send(String message) throws IOException {
        byte[] b = message.getBytes(StandardCharsets.UTF_8);
        if (udp != null) {
            udp.send(new DatagramPacket(b, b.length, RawPeer.LO, serverPort));
        } else {
            tcp.getOutputStream().write(b);
            tcp.getOutputStream().flush();
        }
    }

    /** The next message whose start line starts with {@code start}, within {@code millis}; null if none. */
    String receive(String start, long millis) throws IOException {
        long end = System.nanoTime() + millis * 1_000_000L;
        while (true) {
            for (int i = 0; i < pending.size(); i++) {
                if (pending.get(i).startsWith(start)) {
                    return pending.remove(i);
                }
            }
            long left = (end - System.nanoTime()) / 1_000_000L;
            if (left <= 0) {
                return null;
            }
            try {
                readSome((int) left);
            } catch (SocketTimeoutException e) {
                return null;
            }
        }
    }

    /** Bytes of TCP keep-alive seen so far (CRLF pairs outside messages). */
    int crlfKeepAlives;

    private void readSome(int millis) throws IOException {
        if (udp != null) {
            udp.setSoTimeout(millis);
            byte[] buf = new byte[65_535];
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            udp.receive(p);
            pending.add(new String(buf, 0, p.getLength(), StandardCharsets.UTF_8));
            return;
        }
        tcp.setSoTimeout(millis);
        InputStream in = tcp.getInputStream();
        byte[] buf = new byte[8192];
        int n = in.read(buf);
        if (n < 0) {
            throw new IOException("the server closed the connection");
        }
        stream.write(buf, 0, n);
        String all = stream.toString(StandardCharsets.UTF_8);
        int pos = 0;
        while (all.startsWith("\r\n\r\n", pos)) {
            crlfKeepAlives++;
            pos += 4;
        }
        List<String> msgs = new ArrayList<>();
        RawPeer.split(all.substring(pos), msgs);
        int used = pos + msgs.stream().mapToInt(String::length).sum();
        pending.addAll(msgs);
        String rest = all.substring(Math.min(used, all.length()));
        stream.reset();
        stream.write(rest.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * REGISTER with this Via sent-by and Contact (a value, e.g. {@code <sip:bob@192.168.1.20:5060>}),
     * answering the 401; returns the final response.
     */
    String register(String viaSentBy, String contact, String... extraHeaders) throws IOException {
        String first = registerText(viaSentBy, contact, null, extraHeaders);
        send(first);
        String answer = receive("SIP/2.0 401", 3000);
        if (answer == null) {
            throw new AssertionError("no 401 to the REGISTER");
        }
        String realm = param(answer, "realm");
        String nonce = param(answer, "nonce");
        String uri = "sip:127.0.0.1:" + serverPort;
        String ha1 = DigestAlgorithm.MD5.ha1(user, realm, password.toCharArray());
        String cnonce = TestPhone.tag();
        String resp = DigestCalculation.response(DigestAlgorithm.MD5, ha1, "REGISTER", uri, nonce, "00000001", cnonce, "auth");
        String auth = "Authorization: Digest username=\"" + user + "\",realm=\"" + realm + "\",nonce=\"" + nonce
                + "\",uri=\"" + uri + "\",response=\"" + resp + "\",algorithm=MD5,qop=auth,cnonce=\"" + cnonce
                + "\",nc=00000001";
        send(registerText(viaSentBy, contact, auth, extraHeaders));
        String fin = receive("SIP/2.0 2", 3000);
        if (fin == null) {
            throw new AssertionError("no 200 to the authenticated REGISTER");
        }
        return fin;
    }

    private String registerText(String viaSentBy, String contact, String auth, String... extra) {
        StringBuilder sb = new StringBuilder();
        sb.append("REGISTER sip:127.0.0.1:").append(serverPort).append(" SIP/2.0\r\n");
        sb.append("Via: SIP/2.0/").append(transport.toUpperCase()).append(' ').append(viaSentBy)
                .append(";branch=z9hG4bK").append(TestPhone.tag()).append("\r\n");
        sb.append("Max-Forwards: 70\r\n");
        sb.append("From: <sip:").append(user).append("@127.0.0.1>;tag=").append(TestPhone.tag()).append("\r\n");
        sb.append("To: <sip:").append(user).append("@127.0.0.1>\r\n");
        sb.append("Call-ID: ").append(callId).append("\r\n");
        sb.append("CSeq: ").append(cseq++).append(" REGISTER\r\n");
        sb.append("Contact: ").append(contact).append("\r\n");
        sb.append("Expires: 600\r\n");
        for (String h : extra) {
            sb.append(h).append("\r\n");
        }
        if (auth != null) {
            sb.append(auth).append("\r\n");
        }
        sb.append("Content-Length: 0\r\n\r\n");
        return sb.toString();
    }

    /** A response to {@code request} with the given status (Via, From, To with a tag, Call-ID, CSeq copied). */
    static String answer(String request, int status, String reason, String... extraHeaders) {
        StringBuilder sb = new StringBuilder("SIP/2.0 ").append(status).append(' ').append(reason).append("\r\n");
        for (String line : request.split("\r\n")) {
            String l = line.toLowerCase();
            if (l.startsWith("via:") || l.startsWith("from:") || l.startsWith("call-id:") || l.startsWith("cseq:")
                    || (status < 300 && l.startsWith("record-route:"))) {
                sb.append(line).append("\r\n");
            } else if (l.startsWith("to:")) {
                sb.append(line).append(line.contains(";tag=") ? "" : ";tag=" + TestPhone.tag()).append("\r\n");
            }
            if (line.isEmpty()) {
                break;
            }
        }
        for (String h : extraHeaders) {
            sb.append(h).append("\r\n");
        }
        sb.append("Content-Length: 0\r\n\r\n");
        return sb.toString();
    }

    /** The Request-URI of a request. */
    static String requestUri(String request) {
        return request.substring(0, request.indexOf("\r\n")).split(" ")[1];
    }

    /** Every value of a header (by its full name, case-insensitive), in order. */
    static List<String> headers(String message, String name) {
        List<String> out = new ArrayList<>();
        String head = message.split("\r\n\r\n", 2)[0];
        for (String line : head.split("\r\n")) {
            int c = line.indexOf(':');
            if (c > 0 && line.substring(0, c).trim().equalsIgnoreCase(name)) {
                out.add(line.substring(c + 1).trim());
            }
        }
        return out;
    }

    private static String param(String message, String name) {
        Matcher m = Pattern.compile(name + "=\"([^\"]*)\"").matcher(message);
        if (!m.find()) {
            throw new AssertionError("no " + name + " in " + message);
        }
        return m.group(1);
    }

    @Override
    public void close() throws IOException {
        if (udp != null) {
            udp.close();
        } else {
            tcp.close();
        }
    }
}
