package io.glareresolver.sip.impl.config;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The one place where a host of a SIP URI, a Via sent-by or the listen address is written and
 * compared. RFC 3261 §25.1: {@code host = hostname / IPv4address / IPv6reference} and
 * {@code IPv6reference = "[" IPv6address "]"}: an IPv6 literal in a URI or Via is bracketed.
 * The JAIN-SIP RI reports {@code ::1} in several spellings (a listening point on {@code ::1} says
 * {@code 0:0:0:0:0:0:0:1}, its Via {@code [0:0:0:0:0:0:0:1]}, a parsed URI or Via {@code [::1]}),
 * so every IPv6 literal is brought to one text form here (RFC 5952) before it is compared or
 * written. Plain Java; never a name look-up.
 */
public final class SipHost {

    private static final Pattern IPV4 = Pattern.compile("(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})");
    private static final Pattern IPV6_CHARS = Pattern.compile("[0-9A-Fa-f:.]+");

    private SipHost() {
    }

    /**
     * The address an IP literal names, or empty if {@code text} is not one: a dotted IPv4 address,
     * or an IPv6 address with or without brackets. A zone index ({@code %eth0}) is not a literal
     * here (the grammar of RFC 3261 has none). No DNS look-up is ever made.
     */
    public static Optional<InetAddress> literal(String text) {
        if (text == null || text.isEmpty()) {
            return Optional.empty();
        }
        java.util.regex.Matcher m = IPV4.matcher(text);
        if (m.matches()) {
            byte[] b = new byte[4];
            for (int i = 0; i < 4; i++) {
                int octet = Integer.parseInt(m.group(i + 1));
                if (octet > 255) {
                    return Optional.empty();
                }
                b[i] = (byte) octet;
            }
            return address(b);
        }
        String inner = text.startsWith("[") && text.endsWith("]") && text.length() > 2
                ? text.substring(1, text.length() - 1) : text;
        if (!inner.contains(":") || !IPV6_CHARS.matcher(inner).matches()) {
            return Optional.empty();
        }
        try {
            // bracketed, InetAddress takes it as an IPv6 literal and never resolves it as a name
            return Optional.of(InetAddress.getByName("[" + inner + "]"));
        } catch (UnknownHostException e) {
            return Optional.empty();
        }
    }

    private static Optional<InetAddress> address(byte[] b) {
        try {
            return Optional.of(InetAddress.getByAddress(b));
        } catch (UnknownHostException e) {
            return Optional.empty(); // only for a wrong length
        }
    }

    /** True if {@code host} is an IPv6 literal, with or without brackets. */
    public static boolean isIpv6(String host) {
        return host != null && host.contains(":") && literal(host).filter(a -> a instanceof Inet6Address).isPresent();
    }

    /**
     * The form of a host for comparison and for a URI or Via: lower case; an IPv6 literal
     * bracketed, in RFC 5952 text ({@code [::1]}); an IPv4-mapped IPv6 literal as the IPv4 address
     * it is; anything else (a host name, something unparsable) only lower-cased.
     */
    public static String canonical(String host) {
        if (host == null) {
            return null;
        }
        if (host.indexOf(':') < 0) {
            return host.toLowerCase(Locale.ROOT);
        }
        Optional<InetAddress> a = literal(host);
        if (a.isEmpty()) {
            return host.toLowerCase(Locale.ROOT);
        }
        return a.get() instanceof Inet4Address v4 ? v4.getHostAddress() : "[" + rfc5952(a.get().getAddress()) + "]";
    }

    /** The literal to bind a socket to: {@link #canonical} without the brackets ({@code ::1}). */
    public static String bare(String host) {
        String c = canonical(host);
        return c != null && c.startsWith("[") && c.endsWith("]") ? c.substring(1, c.length() - 1) : c;
    }

    /** {@code host:port} with the {@link #canonical} host: {@code [::1]:5060}, {@code 127.0.0.1:5060}. */
    public static String hostPort(String host, int port) {
        return canonical(host) + ":" + port;
    }

    /**
     * RFC 5952 §4: "Leading zeros MUST be suppressed"; "The use of the symbol "::" MUST be used to
     * its maximum capability"; "The symbol "::" MUST NOT be used to shorten just one 16-bit 0
     * field"; "the longest run of consecutive 16-bit 0 fields MUST be shortened ... When the length
     * of the consecutive 16-bit 0 fields are equal ... the first sequence of zero bits MUST be
     * shortened"; "The characters ... MUST be represented in lowercase".
     */
    static String rfc5952(byte[] sixteen) {
        int[] field = new int[8];
        for (int i = 0; i < 8; i++) {
            field[i] = ((sixteen[2 * i] & 0xff) << 8) | (sixteen[2 * i + 1] & 0xff);
        }
        int bestStart = -1;
        int bestLen = 1; // a run must be longer than one field
        for (int i = 0; i < 8; ) {
            if (field[i] != 0) {
                i++;
                continue;
            }
            int j = i;
            while (j < 8 && field[j] == 0) {
                j++;
            }
            if (j - i > bestLen) {
                bestStart = i;
                bestLen = j - i;
            }
            i = j;
        }
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                out.append("::");
                i += bestLen - 1;
                continue;
            }
            if (out.length() > 0 && out.charAt(out.length() - 1) != ':') {
                out.append(':');
            }
            out.append(Integer.toHexString(field[i]));
        }
        return out.toString();
    }
}
