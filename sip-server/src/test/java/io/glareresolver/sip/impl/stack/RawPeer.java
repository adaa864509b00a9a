package io.glareresolver.sip.impl.stack;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Sends raw bytes (malformed SIP) to the server over UDP or TCP on loopback and collects what comes
 * back. The top Via's sent-by is pointed at the sending socket first, so no answer can leave
 * loopback and the RI never looks up a host name. Many messages go out at once and share one
 * deadline, so a corpus of "dropped" expectations costs one receive timeout, not one each.
 */
final class RawPeer {

    static final InetAddress LO = InetAddress.getLoopbackAddress();

    /** The top Via, possibly folded: name, protocol/version/transport and the sent-by host[:port]. */
    private static final Pattern TOP_VIA = Pattern.compile(
            "(?im)^(?:Via|v)[ \\t]*:\\s*(SIP\\s*/\\s*[0-9.]+\\s*/\\s*)([A-Za-z]+)(\\s+)(\\[[^\\]]*\\](?::\\d+)?|[^;,\\s]+)");

    /** What came back for one message. */
    record Answer(String name, List<String> statusLines, List<String> messages) {
        /** The first final status code, or 0 if none came before the deadline (dropped). */
        int finalStatus() {
            for (String l : statusLines) {
                int code = code(l);
                if (code >= 200) {
                    return code;
                }
            }
            return 0;
        }

        String finalLine() {
            for (String l : statusLines) {
                if (code(l) >= 200) {
                    return l;
                }
            }
            return "none";
        }

        /** "dropped" or the final status code. */
        String outcome() {
            int c = finalStatus();
            return c == 0 ? "dropped" : Integer.toString(c);
        }

        /** Why a response is junk for a peer: a Java exception, a stack trace, an object identity or a broken status line. */
        List<String> junk() {
            List<String> out = new ArrayList<>();
            for (int i = 0; i < messages.size(); i++) {
                String m = messages.get(i);
                String status = statusLines.get(i);
                if (status.contains("[C@") || status.contains("[B@") || status.indexOf('\n') >= 0 || status.indexOf('\r') >= 0) {
                    out.add("status line: " + printable(status));
                }
                String head = m.split("\r\n\r\n", 2)[0];
                if (head.contains("Exception") || head.contains("\tat ") || head.matches("(?s).*\\bjava\\.[a-z]+\\..*")) {
                    out.add("header text: " + printable(head));
                }
            }
            return out;
        }

        private static int code(String statusLine) {
            String[] p = statusLine.split(" ", 3);
            try {
                return p.length > 1 ? Integer.parseInt(p[1]) : -1;
            } catch (NumberFormatException e) {
                return -1;
            }
        }
    }

    static String printable(String s) {
        return s.replace("\r", "\\r").replace("\n", "\\n");
    }

    private RawPeer() {
    }

    /**
     * Makes the top Via's branch unique to this send (the corpus reuses branches across messages,
     * and the UDP and TCP runs send the same messages): a branch that is only the magic cookie, or
     * has none, is left as it is, since that is what such a message is about (RFC 4475 §3.2, §3.4).
     */
    static String uniqueBranch(String text, String tag) {
        return text.replaceFirst("(?i)branch=z9hG4bK(?=[^;,\\s])", "branch=z9hG4bK" + tag + ".");
    }

    /** Points the top Via's sent-by at 127.0.0.1:port with the given transport; null if there is no Via to point. */
    static String pointTopVia(String text, String transport, int port) {
        return pointTopVia(text, transport, "127.0.0.1", port);
    }

    /** Points the top Via's sent-by at {@code host:port} (host as written in a Via: {@code [::1]}). */
    static String pointTopVia(String text, String transport, String host, int port) {
        Matcher m = TOP_VIA.matcher(text);
        if (!m.find()) {
            return null;
        }
        String rest = text.substring(m.end(4));
        // a second request in the same datagram or stream (RFC 4475 dblreq): its top Via too
        Matcher next = NEXT_REQUEST.matcher(rest);
        if (next.find()) {
            String again = pointTopVia(rest.substring(next.start()), transport, host, port);
            if (again != null) {
                rest = rest.substring(0, next.start()) + again;
            }
        }
        return text.substring(0, m.start(2)) + transport.toUpperCase(Locale.ROOT) + m.group(3) + host + ":" + port
                + rest;
    }

    private static final Pattern NEXT_REQUEST = Pattern.compile("\\r\\n\\r\\n(?:\\r\\n)*(?=[A-Z]+ sip:[^\\r\\n]* SIP/2\\.0\\r\\n)");

    /** Sends each named message over UDP from its own socket, all at once, and waits up to {@code waitMillis} for the answers. */
    static Map<String, Answer> udp(Map<String, byte[]> messages, int serverPort, long waitMillis) throws IOException {
        return udp(messages, LO, serverPort, waitMillis);
    }

    /** As {@link #udp(Map, int, long)}, from and to {@code at} (127.0.0.1 or ::1). */
    static Map<String, Answer> udp(Map<String, byte[]> messages, InetAddress at, int serverPort, long waitMillis)
            throws IOException {
        Map<String, DatagramSocket> sockets = new LinkedHashMap<>();
        Map<String, Answer> out = new LinkedHashMap<>();
        try {
            for (Map.Entry<String, byte[]> e : messages.entrySet()) {
                DatagramSocket sock = new DatagramSocket(0, at);
                sockets.put(e.getKey(), sock);
                String text = new String(e.getValue(), StandardCharsets.ISO_8859_1);
                String pointed = pointTopVia(uniqueBranch(text, e.getKey() + ".u"), "UDP", viaHost(at), sock.getLocalPort());
                byte[] raw = pointed == null ? e.getValue() : pointed.getBytes(StandardCharsets.ISO_8859_1);
                sock.send(new DatagramPacket(raw, raw.length, at, serverPort));
            }
            long deadline = System.nanoTime() + waitMillis * 1_000_000L;
            for (Map.Entry<String, DatagramSocket> e : sockets.entrySet()) {
                List<String> lines = new ArrayList<>();
                List<String> msgs = new ArrayList<>();
                DatagramSocket sock = e.getValue();
                byte[] buf = new byte[70_000];
                try {
                    while (true) {
                        // past the shared deadline, still take what has already arrived
                        long left = Math.max(1, (deadline - System.nanoTime()) / 1_000_000L);
                        sock.setSoTimeout((int) left);
                        DatagramPacket p = new DatagramPacket(buf, buf.length);
                        sock.receive(p);
                        String reply = new String(buf, 0, p.getLength(), StandardCharsets.ISO_8859_1);
                        msgs.add(reply);
                        String line = statusLine(reply);
                        lines.add(line);
                        if (!line.startsWith("SIP/2.0 1")) {
                            break;
                        }
                    }
                } catch (SocketTimeoutException timeout) {
                    // dropped, or only provisional answers
                }
                out.put(e.getKey(), new Answer(e.getKey(), lines, msgs));
            }
        } finally {
            sockets.values().forEach(DatagramSocket::close);
        }
        return out;
    }

    /**
     * Sends each named message on its own TCP connection, all at once, and reads the answers until
     * a final response, the server closes the connection, or the shared deadline.
     */
    static Map<String, Answer> tcp(Map<String, byte[]> messages, int serverPort, long waitMillis) throws IOException {
        return tcp(messages, LO, serverPort, waitMillis);
    }

    /** As {@link #tcp(Map, int, long)}, from and to {@code at} (127.0.0.1 or ::1). */
    static Map<String, Answer> tcp(Map<String, byte[]> messages, InetAddress at, int serverPort, long waitMillis)
            throws IOException {
        Map<String, Socket> sockets = new LinkedHashMap<>();
        Map<String, Answer> out = new LinkedHashMap<>();
        try {
            for (Map.Entry<String, byte[]> e : messages.entrySet()) {
                Socket s = new Socket();
                s.bind(new InetSocketAddress(at, 0));
                s.connect(new InetSocketAddress(at, serverPort), 2000);
                sockets.put(e.getKey(), s);
                String text = new String(e.getValue(), StandardCharsets.ISO_8859_1);
                String pointed = pointTopVia(uniqueBranch(text, e.getKey() + ".t"), "TCP", viaHost(at), s.getLocalPort());
                byte[] raw = pointed == null ? e.getValue() : pointed.getBytes(StandardCharsets.ISO_8859_1);
                OutputStream os = s.getOutputStream();
                os.write(raw);
                os.flush();
            }
            long deadline = System.nanoTime() + waitMillis * 1_000_000L;
            for (Map.Entry<String, Socket> e : sockets.entrySet()) {
                out.put(e.getKey(), readStream(e.getKey(), e.getValue(), deadline));
            }
        } finally {
            for (Socket s : sockets.values()) {
                try {
                    s.close();
                } catch (IOException ignored) {
                    // closing a test socket
                }
            }
        }
        return out;
    }

    /**
     * Sends one message over UDP exactly as {@code text} builds it from the sending socket's port
     * (no Via is pointed: a response carries the server's own Via on top) and returns what comes
     * back to that socket: the first message, or none by the deadline.
     */
    static List<String> udpExchange(java.util.function.IntFunction<String> text, InetAddress at, int serverPort,
                                    long waitMillis) throws IOException {
        try (DatagramSocket sock = new DatagramSocket(0, at)) {
            byte[] raw = text.apply(sock.getLocalPort()).getBytes(StandardCharsets.ISO_8859_1);
            sock.send(new DatagramPacket(raw, raw.length, at, serverPort));
            sock.setSoTimeout((int) waitMillis);
            byte[] buf = new byte[70_000];
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            try {
                sock.receive(p);
                return List.of(new String(buf, 0, p.getLength(), StandardCharsets.ISO_8859_1));
            } catch (SocketTimeoutException timeout) {
                return List.of();
            }
        }
    }

    /** An address as a Via sent-by host: {@code [::1]}, {@code 127.0.0.1}. */
    static String viaHost(InetAddress at) {
        return io.glareresolver.sip.impl.config.SipHost.canonical(at.getHostAddress());
    }

    private static Answer readStream(String name, Socket s, long deadline) throws IOException {
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        List<String> lines = new ArrayList<>();
        List<String> msgs = new ArrayList<>();
        InputStream in = s.getInputStream();
        byte[] buf = new byte[8192];
        try {
            while (true) {
                long left = Math.max(1, (deadline - System.nanoTime()) / 1_000_000L);
                s.setSoTimeout((int) left);
                int n = in.read(buf);
                if (n < 0) {
                    break; // the server closed the connection
                }
                got.write(buf, 0, n);
                msgs.clear();
                lines.clear();
                split(got.toString(StandardCharsets.ISO_8859_1), msgs);
                msgs.forEach(m -> lines.add(statusLine(m)));
                if (lines.stream().anyMatch(l -> !l.startsWith("SIP/2.0 1"))) {
                    break;
                }
            }
        } catch (SocketTimeoutException timeout) {
            // dropped, or still waiting for a body that never comes
        } catch (IOException reset) {
            // the server reset the connection: what was read stands
        }
        return new Answer(name, new ArrayList<>(lines), new ArrayList<>(msgs));
    }

    /** Splits a stream into complete messages by Content-Length (RFC 3261 §18.3). */
    static void split(String stream, List<String> out) {
        int pos = 0;
        while (pos < stream.length()) {
            while (stream.startsWith("\r\n", pos)) {
                pos += 2; // keep-alive CRLFs between messages
            }
            int end = stream.indexOf("\r\n\r\n", pos);
            if (end < 0) {
                return;
            }
            String head = stream.substring(pos, end);
            Matcher cl = Pattern.compile("(?im)^(?:Content-Length|l)[ \\t]*:[ \\t]*(\\d+)").matcher(head);
            int len = cl.find() ? Integer.parseInt(cl.group(1)) : 0;
            int stop = end + 4 + len;
            if (stop > stream.length()) {
                return;
            }
            out.add(stream.substring(pos, stop));
            pos = stop;
        }
    }

    /** The start line up to CRLF (a bare LF inside stays in, so a broken status line shows). */
    static String statusLine(String message) {
        int crlf = message.indexOf("\r\n");
        return crlf < 0 ? message : message.substring(0, crlf);
    }
}
