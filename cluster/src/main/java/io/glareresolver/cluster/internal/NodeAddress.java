package io.glareresolver.cluster.internal;

import java.util.Locale;
import java.util.Optional;

/**
 * Host and port of a node's announced SIP URI, to recognise the packets another node relays to
 * this one. Immutable.
 *
 * @param host lower case, an IPv6 literal without brackets
 * @param port the URI's port, 5060 (5061 for {@code sips:}) when it has none
 */
public record NodeAddress(String host, int port) {

    /** The host and port of {@code uri} ({@code sip:[user@]host[:port][;params]}), if it has a host. */
    public static Optional<NodeAddress> of(String uri) {
        if (uri == null) {
            return Optional.empty();
        }
        String rest = uri.trim();
        int lt = rest.indexOf('<');
        if (lt >= 0) {
            int gt = rest.indexOf('>', lt);
            rest = rest.substring(lt + 1, gt > lt ? gt : rest.length());
        }
        boolean secure = rest.toLowerCase(Locale.ROOT).startsWith("sips:");
        int colon = rest.indexOf(':');
        if (colon < 0) {
            return Optional.empty();
        }
        rest = rest.substring(colon + 1);
        int end = indexOfAny(rest, ";?");
        if (end >= 0) {
            rest = rest.substring(0, end);
        }
        int at = rest.lastIndexOf('@');
        if (at >= 0) {
            rest = rest.substring(at + 1);
        }
        String host = rest;
        int port = secure ? 5061 : 5060;
        int close = rest.lastIndexOf(']');
        int portColon = rest.lastIndexOf(':');
        if (portColon > close && (close >= 0 || rest.indexOf(':') == portColon)) {
            host = rest.substring(0, portColon);
            try {
                port = Integer.parseInt(rest.substring(portColon + 1));
            } catch (NumberFormatException e) {
                return Optional.empty();
            }
        }
        host = bare(host);
        return host.isEmpty() ? Optional.empty() : Optional.of(new NodeAddress(host, port));
    }

    /** True if a packet from {@code host:port} came from this node: same host, and for UDP same port. */
    public boolean sent(String host, int port, boolean udp) {
        return this.host.equals(bare(host)) && (!udp || this.port == port);
    }

    private static String bare(String host) {
        String h = host.trim().toLowerCase(Locale.ROOT);
        return h.startsWith("[") && h.endsWith("]") ? h.substring(1, h.length() - 1) : h;
    }

    private static int indexOfAny(String s, String chars) {
        for (int i = 0; i < s.length(); i++) {
            if (chars.indexOf(s.charAt(i)) >= 0) {
                return i;
            }
        }
        return -1;
    }
}
