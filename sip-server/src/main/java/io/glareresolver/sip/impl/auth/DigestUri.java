package io.glareresolver.sip.impl.auth;

import java.util.Locale;
import java.util.Optional;

/**
 * Whether a digest {@code uri} names the resource of a Request-URI (RFC 2617 §3.2.2.5). Compared
 * as RFC 3261 §19.1.4 compares the parts that name the resource: scheme, user (case-sensitive),
 * host (case-insensitive) and port (absent = the scheme's default, 5060 / 5061). URI parameters
 * and headers are left out: phones differ in whether they copy {@code ;transport=} into the digest
 * {@code uri}, and a parameter does not make the request reach another user. Plain Java.
 */
public final class DigestUri {

    private DigestUri() {
    }

    record Resource(String scheme, String user, String host, int port) {
    }

    public static boolean sameResource(String digestUri, String requestUri) {
        Optional<Resource> a = resource(digestUri);
        Optional<Resource> b = resource(requestUri);
        return a.isPresent() && a.equals(b);
    }

    static Optional<Resource> resource(String uri) {
        if (uri == null) {
            return Optional.empty();
        }
        String u = uri.trim();
        int colon = u.indexOf(':');
        if (colon <= 0) {
            return Optional.empty();
        }
        String scheme = u.substring(0, colon).toLowerCase(Locale.ROOT);
        if (!scheme.equals("sip") && !scheme.equals("sips")) {
            return Optional.empty();
        }
        String rest = u.substring(colon + 1);
        int end = indexOfAny(rest, ";?");
        String hostPart = end < 0 ? rest : rest.substring(0, end);
        String user = "";
        int at = hostPart.lastIndexOf('@');
        if (at >= 0) {
            user = hostPart.substring(0, at);
            int password = user.indexOf(':');
            user = password < 0 ? user : user.substring(0, password);
            hostPart = hostPart.substring(at + 1);
        }
        String host = hostPart;
        int port = scheme.equals("sips") ? 5061 : 5060;
        int portColon = hostPart.startsWith("[") ? hostPart.indexOf("]:") + 1 : hostPart.lastIndexOf(':');
        if (portColon > 0) {
            host = hostPart.substring(0, portColon);
            try {
                port = Integer.parseInt(hostPart.substring(portColon + 1));
            } catch (NumberFormatException e) {
                return Optional.empty();
            }
        }
        if (host.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new Resource(scheme, user, host.toLowerCase(Locale.ROOT), port));
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
