package io.glareresolver.glare.impl.crossing;

import java.util.OptionalInt;
import java.util.regex.Pattern;

/**
 * The media port a side advertised: the port of the first {@code m=} line of its SDP
 * (RFC 4566 §5.14: {@code m=<media> <port> <proto> <fmt> ...}, port optionally {@code /<number of ports>}).
 */
public final class SdpMediaPort {

    /** Fields of an m= line; compiled once: {@code String.split(" +")} compiles it again on every INVITE. */
    private static final Pattern SPACES = Pattern.compile(" +");

    private SdpMediaPort() {
    }

    /** @return the port of the first {@code m=} line, or empty if there is none or it is not a port number */
    public static OptionalInt of(String sdp) {
        if (sdp == null) {
            return OptionalInt.empty();
        }
        int from = 0;
        int length = sdp.length();
        while (from < length) {
            int end = sdp.indexOf('\n', from);
            if (end < 0) {
                end = length;
            }
            if (sdp.startsWith("m=", from)) {
                return portOf(sdp.substring(from + 2, end).trim());
            }
            from = end + 1;
        }
        return OptionalInt.empty();
    }

    private static OptionalInt portOf(String media) {
        String[] fields = SPACES.split(media);
        if (fields.length < 3) {
            return OptionalInt.empty();
        }
        String port = fields[1];
        int slash = port.indexOf('/');
        if (slash >= 0) {
            port = port.substring(0, slash);
        }
        if (port.isEmpty() || port.length() > 5) {
            return OptionalInt.empty();
        }
        for (int i = 0; i < port.length(); i++) {
            char c = port.charAt(i);
            if (c < '0' || c > '9') {
                return OptionalInt.empty();
            }
        }
        int p = Integer.parseInt(port);
        return p <= 65535 ? OptionalInt.of(p) : OptionalInt.empty();
    }
}
