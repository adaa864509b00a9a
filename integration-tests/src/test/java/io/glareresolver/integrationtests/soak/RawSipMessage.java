package io.glareresolver.integrationtests.soak;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One SIP message as text, parsed just enough for the soak's raw UDP user agents (start line,
 * headers in order, body). The raw agents exist because a JAIN-SIP endpoint answers at once and
 * never "vanishes": the soak needs a callee that only rings and a caller whose socket closes
 * before its final response (RFC 3261 §17.2.1: the server transaction then retransmits the final
 * response until Timer H).
 */
record RawSipMessage(String startLine, List<String[]> headers, String body) {

    /** RFC 3261 §7.3.3 compact forms of the headers these agents read. */
    private static final Map<String, String> COMPACT = Map.of("v", "via", "f", "from", "t", "to", "i", "call-id",
            "m", "contact", "l", "content-length", "c", "content-type");

    static RawSipMessage parse(byte[] data, int length) {
        String text = new String(data, 0, length, StandardCharsets.UTF_8);
        int split = text.indexOf("\r\n\r\n");
        String head = split < 0 ? text : text.substring(0, split);
        String body = split < 0 ? "" : text.substring(split + 4);
        String[] lines = head.split("\r\n");
        List<String[]> headers = new ArrayList<>();
        for (int i = 1; i < lines.length; i++) {
            String line = lines[i];
            if ((line.startsWith(" ") || line.startsWith("\t")) && !headers.isEmpty()) {
                String[] last = headers.get(headers.size() - 1);
                last[1] = last[1] + " " + line.strip(); // folded continuation
                continue;
            }
            int colon = line.indexOf(':');
            if (colon <= 0) {
                continue;
            }
            String name = line.substring(0, colon).strip().toLowerCase(Locale.ROOT);
            headers.add(new String[] {COMPACT.getOrDefault(name, name), line.substring(colon + 1).strip()});
        }
        return new RawSipMessage(lines[0], headers, body);
    }

    boolean isResponse() {
        return startLine.startsWith("SIP/2.0 ");
    }

    int status() {
        return isResponse() ? Integer.parseInt(startLine.substring(8, 11)) : 0;
    }

    /** The request's method, or the CSeq method of a response. */
    String method() {
        if (!isResponse()) {
            return startLine.substring(0, startLine.indexOf(' '));
        }
        String cseq = header("cseq").orElse("0 ?");
        return cseq.substring(cseq.indexOf(' ') + 1).strip();
    }

    String requestUri() {
        String[] parts = startLine.split(" ");
        return parts[1];
    }

    Optional<String> header(String name) {
        for (String[] h : headers) {
            if (h[0].equals(name)) {
                return Optional.of(h[1]);
            }
        }
        return Optional.empty();
    }

    /** Every value of a header, in order (comma-separated Via values split). */
    List<String> all(String name) {
        List<String> out = new ArrayList<>();
        for (String[] h : headers) {
            if (h[0].equals(name)) {
                if (name.equals("via")) {
                    for (String v : h[1].split(",(?=\\s*SIP/)")) {
                        out.add(v.strip());
                    }
                } else {
                    out.add(h[1]);
                }
            }
        }
        return out;
    }

    String callId() {
        return header("call-id").orElse("?");
    }

    long cseq() {
        String cseq = header("cseq").orElse("0 ?");
        return Long.parseLong(cseq.substring(0, cseq.indexOf(' ')).strip());
    }

    /** The branch parameter of the top Via. */
    String topBranch() {
        List<String> vias = all("via");
        return vias.isEmpty() ? "" : param(vias.get(0), "branch").orElse("");
    }

    static Optional<String> param(String headerValue, String name) {
        Matcher m = Pattern.compile(";\\s*" + name + "=([^;,\\s>]+)", Pattern.CASE_INSENSITIVE).matcher(headerValue);
        return m.find() ? Optional.of(m.group(1)) : Optional.empty();
    }

    // ------------------------------------------------------------------------------ building

    static String branch() {
        return "z9hG4bK-soak-" + Long.toHexString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE);
    }

    static String tag() {
        return Long.toHexString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE);
    }

    /** A response to {@code request}: its Vias, From, To (with {@code toTag} if it has none), Call-ID, CSeq. */
    static String response(RawSipMessage request, int status, String reason, String toTag, String contact) {
        StringBuilder b = new StringBuilder(512).append("SIP/2.0 ").append(status).append(' ').append(reason).append("\r\n");
        for (String v : request.all("via")) {
            b.append("Via: ").append(v).append("\r\n");
        }
        if (status > 100 && status < 300) {
            for (String rr : request.all("record-route")) {
                b.append("Record-Route: ").append(rr).append("\r\n");
            }
        }
        b.append("From: ").append(request.header("from").orElse("")).append("\r\n");
        String to = request.header("to").orElse("");
        if (toTag != null && status > 100 && param(to, "tag").isEmpty()) {
            to = to + ";tag=" + toTag;
        }
        b.append("To: ").append(to).append("\r\n");
        b.append("Call-ID: ").append(request.callId()).append("\r\n");
        b.append("CSeq: ").append(request.header("cseq").orElse("")).append("\r\n");
        if (contact != null) {
            b.append("Contact: <").append(contact).append(">\r\n");
        }
        b.append("Content-Length: 0\r\n\r\n");
        return b.toString();
    }

    // ------------------------------------------------------------------------------ digest

    /**
     * The {@code Authorization}/{@code Proxy-Authorization} value answering the MD5 challenge of
     * {@code challenge} (RFC 2617 §3.2.2, qop=auth): "request-digest = KD(H(A1), nonce:nc:cnonce:qop:H(A2))".
     */
    static String authorize(RawSipMessage challenge, String method, String uri, String user, String password) {
        String header = challenge.status() == 407 ? "proxy-authenticate" : "www-authenticate";
        String md5 = null;
        for (String c : challenge.all(header)) {
            if (quoted(c, "algorithm").map(a -> a.equalsIgnoreCase("MD5")).orElse(true)) {
                md5 = c;
                break;
            }
        }
        if (md5 == null) {
            throw new IllegalStateException("no MD5 challenge in " + challenge.all(header));
        }
        String realm = quoted(md5, "realm").orElseThrow();
        String nonce = quoted(md5, "nonce").orElseThrow();
        String opaque = quoted(md5, "opaque").orElse(null);
        String cnonce = tag();
        String nc = "00000001";
        String ha1 = md5(user + ":" + realm + ":" + password);
        String ha2 = md5(method + ":" + uri);
        String response = md5(ha1 + ":" + nonce + ":" + nc + ":" + cnonce + ":auth:" + ha2);
        return "Digest username=\"" + user + "\", realm=\"" + realm + "\", nonce=\"" + nonce + "\", uri=\"" + uri
                + "\", response=\"" + response + "\", algorithm=MD5, qop=auth, nc=" + nc + ", cnonce=\"" + cnonce + "\""
                + (opaque == null ? "" : ", opaque=\"" + opaque + "\"");
    }

    private static Optional<String> quoted(String header, String name) {
        Matcher m = Pattern.compile("(?i)(?:^|[\\s,])" + name + "\\s*=\\s*(\"([^\"]*)\"|[^,\\s]+)").matcher(
                header.replaceFirst("(?i)^Digest\\s+", " "));
        if (!m.find()) {
            return Optional.empty();
        }
        return Optional.of(m.group(2) != null ? m.group(2) : m.group(1));
    }

    private static String md5(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
