package io.glareresolver.sip.impl.config;

import io.glareresolver.sip.impl.peers.TrustedPeer;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.regex.Pattern;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the server settings from a Config Admin property map. Every key is validated on its
 * own; an invalid value is refused with a log line naming the key and the reason, and the
 * previous value is kept. Values may be typed (Integer, String[]) or strings (FileInstall .cfg).
 */
public final class SettingsReader {

    public static final String ADDRESS = "address";
    public static final String PORT = "port";
    public static final String TRANSPORTS = "transports";
    public static final String DOMAIN = "domain";
    public static final String REALM = "realm";
    public static final String USERS_FILE = "users.file";
    public static final String NONCE_LIFETIME = "nonce.lifetime";
    public static final String EXPIRES_MIN = "expires.min";
    public static final String EXPIRES_MAX = "expires.max";
    public static final String EXPIRES_DEFAULT = "expires.default";
    public static final String DIGEST_ALGORITHMS = "digest.algorithms";
    public static final String DIGEST_ACCEPTED = "digest.accepted";
    public static final String FORK_GROUP_RING_TIME = "fork.group-ring-time";
    public static final String REQUESTS_PER_SECOND = "limit.requests-per-second";
    public static final String BAN_DIGEST_FAILURES = "ban.digest-failures";
    public static final String BAN_WINDOW = "ban.window";
    public static final String BAN_DURATION = "ban.duration";
    public static final String TLS_PORT = "tls.port";
    public static final String TLS_KEYSTORE = "tls.keystore";
    public static final String TLS_KEYSTORE_PASSWORD = "tls.keystore.password";
    public static final String TLS_TRUSTSTORE = "tls.truststore";
    public static final String TLS_TRUSTSTORE_PASSWORD = "tls.truststore.password";
    public static final String TLS_PROTOCOLS = "tls.protocols";
    public static final String PEERS = "peers";
    /** The TLS versions allowed in {@value #TLS_PROTOCOLS} (RFC 8996 deprecates TLS 1.0 and 1.1). */
    static final List<String> TLS_VERSIONS = List.of("TLSv1.3", "TLSv1.2");
    public static final String ADVERTISED_ADDRESS = "advertised.address";
    public static final String ADVERTISED_PORT = "advertised.port";
    public static final String NAT_KEEPALIVE_INTERVAL = "nat.keepalive-interval";

    private static final Logger LOG = LoggerFactory.getLogger(SettingsReader.class);
    // RFC 3261 §25.1 hostname / IPv4 / IPv6 (bare or bracketed) characters
    private static final Pattern HOST = Pattern.compile("[A-Za-z0-9.:\\-\\[\\]]+");

    private final List<String> refusals = new ArrayList<>();

    /** A refused value: the key, the value given and why. */
    private void refuse(String key, Object value, String reason) {
        String line = "setting " + key + "='" + value + "' refused: " + reason + "; keeping the previous value";
        refusals.add(line);
        LOG.warn(line);
    }

    /** Refusal messages of the last {@link #read} call (for tests and the console). */
    public List<String> refusals() {
        return List.copyOf(refusals);
    }

    /**
     * Reads {@code props} over {@code previous}: a key that is absent takes its default (an
     * administrator who comments a line out of the {@code .cfg} file gets the default back); a key
     * whose value is invalid keeps its previous value.
     */
    public ServerSettings read(Map<String, ?> props, ServerSettings previous) {
        refusals.clear();
        ServerSettings d = ServerSettings.defaults();
        ServerSettings.Builder b = previous.toBuilder();
        apply(props, ADDRESS, this::address, b::address, d.address());
        apply(props, PORT, v -> intIn(v, 1, 65535), b::port, d.port());
        apply(props, TRANSPORTS, SettingsReader::transports, b::transports, d.transports());
        apply(props, DOMAIN, v -> host(v), b::domain, d.domain());
        apply(props, REALM, SettingsReader::realm, b::realm, d.realm());
        apply(props, USERS_FILE, SettingsReader::path, b::usersFile, d.usersFile());
        apply(props, DIGEST_ALGORITHMS, SettingsReader::algorithms, b::digestAlgorithms, d.digestAlgorithms());
        apply(props, DIGEST_ACCEPTED, SettingsReader::algorithms, b::acceptedDigestAlgorithms,
                d.acceptedDigestAlgorithms());
        apply(props, NONCE_LIFETIME, v -> Duration.ofSeconds(intIn(v, 10, 86400)), b::nonceLifetime, d.nonceLifetime());
        // at most Timer C (181 s): beyond it the whole INVITE is over anyway
        apply(props, FORK_GROUP_RING_TIME, v -> Duration.ofSeconds(intIn(v, 0, 180)), b::forkGroupRingTime,
                d.forkGroupRingTime());
        apply(props, REQUESTS_PER_SECOND, v -> intIn(v, 0, 1_000_000), b::requestsPerSecond, d.requestsPerSecond());
        apply(props, BAN_DIGEST_FAILURES, v -> intIn(v, 0, 1_000_000), b::banDigestFailures, d.banDigestFailures());
        apply(props, BAN_WINDOW, v -> Duration.ofSeconds(intIn(v, 1, 86400)), b::banWindow, d.banWindow());
        apply(props, BAN_DURATION, v -> Duration.ofSeconds(intIn(v, 1, 604800)), b::banDuration, d.banDuration());

        apply(props, TLS_PORT, v -> intIn(v, 1, 65535), b::tlsPort, d.tlsPort());
        apply(props, TLS_KEYSTORE, SettingsReader::path, b::tlsKeystore, d.tlsKeystore());
        apply(props, TLS_PROTOCOLS, SettingsReader::tlsProtocols, b::tlsProtocols, d.tlsProtocols());
        apply(props, PEERS, SettingsReader::peers, b::peers, d.peers());
        // passwords: any text; empty or absent is "none". Never put into a log line
        b.tlsKeystorePassword(secret(props.get(TLS_KEYSTORE_PASSWORD)));
        b.tlsTruststorePassword(secret(props.get(TLS_TRUSTSTORE_PASSWORD)));
        Object trust = props.get(TLS_TRUSTSTORE);
        if (trust == null || String.valueOf(trust).isBlank()) {
            b.tlsTruststore(null);
        } else {
            value(props, TLS_TRUSTSTORE, SettingsReader::path).ifPresent(b::tlsTruststore);
        }
        // NAT traversal
        apply(props, ADVERTISED_ADDRESS, SettingsReader::advertised, b::advertisedAddress, d.advertisedAddress());
        apply(props, ADVERTISED_PORT, v -> intIn(v, 0, 65535), b::advertisedPort, d.advertisedPort());
        apply(props, NAT_KEEPALIVE_INTERVAL, v -> Duration.ofSeconds(intIn(v, 0, 3600)), b::natKeepaliveInterval,
                d.natKeepaliveInterval());

        int min = expires(props, EXPIRES_MIN, d.expiresMin(), previous.expiresMin());
        int max = expires(props, EXPIRES_MAX, d.expiresMax(), previous.expiresMax());
        int def = expires(props, EXPIRES_DEFAULT, d.expiresDefault(), previous.expiresDefault());
        if (min > max) {
            refuse(EXPIRES_MIN + "/" + EXPIRES_MAX, min + "/" + max, "expires.min is greater than expires.max");
            min = previous.expiresMin();
            max = previous.expiresMax();
        }
        if (def < min || def > max) {
            refuse(EXPIRES_DEFAULT, def, "must lie between expires.min " + min + " and expires.max " + max);
            def = Math.max(min, Math.min(max, previous.expiresDefault()));
        }
        ServerSettings read = b.expiresMin(min).expiresMax(max).expiresDefault(def).build();
        if (read.transports().contains(Transport.TLS) && read.transports().contains(Transport.TCP)
                && read.tlsPort() == read.port()) {
            // TLS runs over TCP: both cannot listen on one port
            String line = "setting transports: tls refused: tls.port " + read.tlsPort() + " is also the TCP port "
                    + "(TLS runs over TCP); listening without TLS until tls.port differs from port";
            refusals.add(line);
            LOG.warn(line);
            Set<Transport> without = EnumSet.copyOf(read.transports());
            without.remove(Transport.TLS);
            read = read.toBuilder().transports(without).build();
        }
        return read;
    }

    /** A password setting: null when absent or empty. */
    private static String secret(Object raw) {
        if (raw == null) {
            return null;
        }
        String s = raw instanceof char[] c ? new String(c) : String.valueOf(raw);
        return s.isEmpty() ? null : s;
    }

    static List<String> tlsProtocols(Object raw) {
        List<String> out = new ArrayList<>();
        for (String t : items(raw)) {
            String known = TLS_VERSIONS.stream().filter(v -> v.equalsIgnoreCase(t)).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("'" + t + "' is not allowed (TLSv1.3, TLSv1.2)"));
            if (!out.contains(known)) {
                out.add(known);
            }
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("at least one TLS protocol (TLSv1.3, TLSv1.2) is needed");
        }
        return out;
    }

    /** Absent: the default; valid: the value; invalid: refused, nothing set (the builder holds the previous value). */
    private <T> void apply(Map<String, ?> props, String key, Function<Object, T> parse, Consumer<T> set, T dflt) {
        if (props.get(key) == null) {
            set.accept(dflt);
        } else {
            value(props, key, parse).ifPresent(set);
        }
    }

    private int expires(Map<String, ?> props, String key, int dflt, int previous) {
        if (props.get(key) == null) {
            return dflt;
        }
        return value(props, key, v -> intIn(v, 1, Integer.MAX_VALUE)).orElse(previous);
    }

    private <T> Optional<T> value(Map<String, ?> props, String key, Function<Object, T> parse) {
        Object raw = props.get(key);
        if (raw == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(parse.apply(raw));
        } catch (IllegalArgumentException e) {
            refuse(key, display(raw), e.getMessage());
            return Optional.empty();
        }
    }

    private static String display(Object raw) {
        if (raw instanceof Object[] a) {
            return String.join(",", java.util.Arrays.stream(a).map(String::valueOf).toList());
        }
        return String.valueOf(raw);
    }

    static int intIn(Object raw, int min, int max) {
        long v;
        if (raw instanceof Number n) {
            v = n.longValue();
        } else {
            try {
                v = Long.parseLong(String.valueOf(raw).trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("not a whole number");
            }
        }
        if (v < min || v > max) {
            throw new IllegalArgumentException("must be between " + min + " and " + max);
        }
        return (int) v;
    }

    /**
     * The listen address: an IPv4 literal ({@code 127.0.0.1}) or an IPv6 literal, bare or bracketed
     * as in a SIP URI ({@code ::1}, {@code [::1]}), kept bare in RFC 5952 form ({@code ::1}).
     */
    private String address(Object raw) {
        String s = String.valueOf(raw).trim();
        if (s.isEmpty()) {
            throw new IllegalArgumentException("empty");
        }
        if (s.indexOf('%') >= 0) {
            throw new IllegalArgumentException("an IPv6 zone index (%...) cannot be written in a SIP URI or Via; "
                    + "use a global or loopback address");
        }
        if (s.matches("\\[.*\\]:\\d+") || s.matches("[^:]*:\\d+")) {
            throw new IllegalArgumentException("an address without a port (the port is the setting '" + PORT + "')");
        }
        // only IP literals: a host name would need a DNS look-up, and the Via must carry what we bind
        InetAddress addr = SipHost.literal(s).orElseThrow(() -> new IllegalArgumentException(
                "not an IP address literal (IPv4 as 127.0.0.1, IPv6 as ::1 or [::1])"));
        if (addr.isAnyLocalAddress()) {
            throw new IllegalArgumentException("the wildcard address cannot be put in Via and Record-Route");
        }
        try {
            if (!addr.isLoopbackAddress() && NetworkInterface.getByInetAddress(addr) == null) {
                throw new IllegalArgumentException("no local interface has this address");
            }
        } catch (SocketException e) {
            throw new IllegalArgumentException("cannot list the local interfaces: " + e.getMessage());
        }
        return SipHost.bare(s);
    }

    /** Trusted peers: a list, or one string of comma-separated entries ({@link TrustedPeer#parse}). */
    static List<TrustedPeer> peers(Object raw) {
        List<TrustedPeer> peers = new ArrayList<>();
        java.util.Set<String> names = new java.util.HashSet<>();
        for (String entry : items(raw)) {
            TrustedPeer p = TrustedPeer.parse(entry);
            if (!names.add(p.name())) {
                throw new IllegalArgumentException("two peers named '" + p.name() + "'");
            }
            peers.add(p);
        }
        return List.copyOf(peers);
    }

    /**
     * The advertised address: an IP literal (the public address of a 1:1 NAT is not one of our
     * interfaces, so unlike {@code address} it is not checked against them), or empty for none.
     */
    static String advertised(Object raw) {
        String s = String.valueOf(raw).trim();
        if (s.isEmpty()) {
            return "";
        }
        java.util.Optional<java.net.InetAddress> literal = SipHost.literal(s); // never a DNS look-up
        if (literal.isEmpty()) {
            throw new IllegalArgumentException("not an IP address literal (a host name would need a DNS look-up by every peer)");
        }
        if (literal.get().isAnyLocalAddress()) {
            throw new IllegalArgumentException("the wildcard address cannot be put in Via and Record-Route");
        }
        return s.toLowerCase(java.util.Locale.ROOT);
    }

    static Set<Transport> transports(Object raw) {
        Set<Transport> set = EnumSet.noneOf(Transport.class);
        for (String t : items(raw)) {
            set.add(Transport.parse(t).orElseThrow(
                    () -> new IllegalArgumentException("unknown transport '" + t + "' (udp, tcp, tls)")));
        }
        if (set.isEmpty()) {
            throw new IllegalArgumentException("at least one transport (udp, tcp, tls) is needed");
        }
        return set;
    }

    static List<io.glareresolver.sip.impl.auth.DigestAlgorithm> algorithms(Object raw) {
        List<io.glareresolver.sip.impl.auth.DigestAlgorithm> out = new ArrayList<>();
        for (String t : items(raw)) {
            io.glareresolver.sip.impl.auth.DigestAlgorithm a = io.glareresolver.sip.impl.auth.DigestAlgorithm.parse(t)
                    .orElseThrow(() -> new IllegalArgumentException("unknown digest algorithm '" + t + "' (SHA-256, MD5)"));
            if (!out.contains(a)) {
                out.add(a);
            }
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("at least one digest algorithm (SHA-256, MD5) is needed");
        }
        return out;
    }

    private static List<String> items(Object raw) {
        Collection<?> c;
        if (raw instanceof Object[] a) {
            c = List.of(a);
        } else if (raw instanceof Collection<?> col) {
            c = col;
        } else {
            c = List.of(String.valueOf(raw).split("[,\\s]+"));
        }
        List<String> out = new ArrayList<>();
        for (Object o : c) {
            String t = String.valueOf(o).trim();
            if (!t.isEmpty()) {
                out.add(t);
            }
        }
        return out;
    }

    /**
     * The SIP domain: a host name, an IPv4 literal or an IPv6 literal, lower case; an IPv6
     * literal ({@code ::1} or {@code [::1]}) kept as a URI host ({@code [::1]}, RFC 3261 §25.1), as
     * it stands in an address of record ({@code alice@[::1]}).
     */
    static String host(Object raw) {
        String s = String.valueOf(raw).trim().toLowerCase(java.util.Locale.ROOT);
        if (s.isEmpty() || !HOST.matcher(s).matches()) {
            throw new IllegalArgumentException("not a host name or IP address");
        }
        if ((s.contains(":") || s.startsWith("[")) && SipHost.literal(s).isEmpty()) {
            throw new IllegalArgumentException("not a host name or IP address (IPv6 as ::1 or [::1], no port)");
        }
        return SipHost.canonical(s);
    }

    static String realm(Object raw) {
        String s = String.valueOf(raw).trim();
        if (s.isEmpty()) {
            throw new IllegalArgumentException("empty");
        }
        if (s.indexOf('"') >= 0 || s.indexOf('\\') >= 0 || s.chars().anyMatch(c -> c < 0x20)) {
            throw new IllegalArgumentException("quotes, backslashes and control characters are not allowed");
        }
        return s;
    }

    static Path path(Object raw) {
        String s = String.valueOf(raw).trim();
        if (s.isEmpty()) {
            throw new IllegalArgumentException("empty");
        }
        try {
            return Path.of(s);
        } catch (InvalidPathException e) {
            throw new IllegalArgumentException("not a file path: " + e.getReason());
        }
    }
}
