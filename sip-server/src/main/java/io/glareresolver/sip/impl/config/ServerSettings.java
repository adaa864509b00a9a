package io.glareresolver.sip.impl.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

import io.glareresolver.sip.impl.auth.DigestAlgorithm;
import io.glareresolver.sip.impl.peers.TrustedPeer;

/**
 * The server's settings, one immutable value (Config Admin PID {@value #PID}). Build with
 * {@link #builder()}; {@link SettingsReader} produces validated instances from configuration maps.
 *
 * @param address        IP literal the listening points bind to
 * @param port           SIP port for every transport
 * @param transports     transports to listen on, never empty
 * @param domain         the SIP domain served: AORs are {@code user@domain}
 * @param realm          the digest realm of challenges
 * @param usersFile      the users file (relative to the working directory if not absolute)
 * @param nonceLifetime  how long a nonce is accepted before it is declared stale
 * @param expiresMin     shortest registration interval accepted (423 below it)
 * @param expiresMax     longest registration interval granted (longer ones are shortened)
 * @param expiresDefault interval granted when the REGISTER names none
 * @param digestAlgorithms the algorithms challenged with, in the order of the challenges (the
 *                       first is the preferred one, RFC 8760 §2.4); never empty. MD5 alone by
 *                       default: baresip 1.0 stops at any SHA-256 challenge and several UAs read
 *                       only the first one
 * @param acceptedDigestAlgorithms the algorithms a client may answer with besides those challenged
 *                       (a UA that chooses SHA-256 keeps it); see {@link #verifiedAlgorithms()}
 * @param forkGroupRingTime how long the bindings of one q-value ring before the next q-value's
 *                       are tried (serial forking); zero: until they all fail or Timer C
 * @param requestsPerSecond requests one source address may send per second (also its largest
 *                       burst); more are answered 503 with Retry-After (ACKs dropped). 0: no limit
 * @param banDigestFailures digest failures (wrong answer or unknown user) from one source within
 *                       {@code banWindow} that ban it; 0: no bans
 * @param banWindow      the time within which the failures must fall (from the first)
 * @param banDuration    how long a banned source's requests are dropped without an answer
 * @param tlsPort        the port of the TLS listening point (TLS runs over TCP: it cannot share
 *                       {@code port} with TCP)
 * @param tlsKeystore    the PKCS#12 key store holding the server's private key and certificate
 *                       (relative to the working directory if not absolute)
 * @param tlsKeystorePassword the key store's password (also the key's); null when not configured,
 *                       which keeps TLS off. Never logged: {@link #toString()} masks it
 * @param tlsTruststore  the certificates trusted when the server opens a TLS connection itself;
 *                       null: those of the key store (its own certificate)
 * @param tlsTruststorePassword the trust store's password; null: the key store's
 * @param tlsProtocols   the TLS versions offered and accepted, a subset of TLSv1.3 and TLSv1.2
 * @param peers          the trusted peers (PBXs on trunks), by source address; see {@link TrustedPeer}
 * @param advertisedAddress the address put in our Via sent-by and Record-Route instead of
 *                       {@code address} (a server behind a 1:1 NAT, Kamailio's {@code advertise}),
 *                       and taken as ours in Route and Request-URI; empty: none
 * @param advertisedPort the port advertised with it; 0: {@code port}
 * @param natKeepaliveInterval how often NATed bindings get a keep-alive (OPTIONS over UDP, CRLF
 *                       over TCP); zero: never
 */
public record ServerSettings(String address, int port, Set<Transport> transports, String domain, String realm,
                             Path usersFile, Duration nonceLifetime, int expiresMin, int expiresMax,
                             int expiresDefault, List<DigestAlgorithm> digestAlgorithms,
                             List<DigestAlgorithm> acceptedDigestAlgorithms, Duration forkGroupRingTime,
                             int requestsPerSecond, int banDigestFailures, Duration banWindow,
                             Duration banDuration,
                             int tlsPort, Path tlsKeystore, String tlsKeystorePassword, Path tlsTruststore,
                             String tlsTruststorePassword, List<String> tlsProtocols, List<TrustedPeer> peers,
                             String advertisedAddress, int advertisedPort, Duration natKeepaliveInterval) {

    /** Config Admin PID of the server settings (no '-': FileInstall splits factory PIDs at it). */
    public static final String PID = "io.glareresolver.sip.server";

    public static final String DEFAULT_ADDRESS = "127.0.0.1";
    public static final int DEFAULT_PORT = 5060;
    public static final String DEFAULT_REALM = "glare-resolver";
    public static final String DEFAULT_USERS_FILE = "etc/sip-users.txt";
    public static final int DEFAULT_NONCE_LIFETIME = 300;
    public static final int DEFAULT_EXPIRES_MIN = 60;
    public static final int DEFAULT_EXPIRES_MAX = 7200;
    public static final int DEFAULT_EXPIRES_DEFAULT = 3600;
    /** Kamailio's {@code fr_inv_timer} is 120 s; a phone that rang 30 s unanswered is not picked up. */
    public static final int DEFAULT_FORK_GROUP_RING_TIME = 30;
    public static final int DEFAULT_REQUESTS_PER_SECOND = 500;
    public static final int DEFAULT_BAN_DIGEST_FAILURES = 20;
    public static final int DEFAULT_BAN_WINDOW = 60;
    public static final int DEFAULT_BAN_DURATION = 300;
    /** RFC 3261 §26.2 / §19.1.2: the default port of SIP over TLS. */
    public static final int DEFAULT_TLS_PORT = 5061;
    public static final String DEFAULT_TLS_KEYSTORE = "etc/sip-tls.p12";
    /** TLS 1.3 and 1.2 only (RFC 8996 deprecates 1.0 and 1.1). */
    public static final List<String> DEFAULT_TLS_PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");
    /** NAT traversal: no advertised address, the listening port, keep-alives every 30 s (Kamailio nathelper's usual). */
    public static final String DEFAULT_ADVERTISED_ADDRESS = "";
    public static final int DEFAULT_ADVERTISED_PORT = 0;
    public static final int DEFAULT_NAT_KEEPALIVE_INTERVAL = 30;

    public ServerSettings {
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(domain, "domain");
        Objects.requireNonNull(realm, "realm");
        Objects.requireNonNull(usersFile, "usersFile");
        Objects.requireNonNull(nonceLifetime, "nonceLifetime");
        Objects.requireNonNull(forkGroupRingTime, "forkGroupRingTime");
        Objects.requireNonNull(tlsKeystore, "tlsKeystore");
        tlsProtocols = List.copyOf(tlsProtocols);
        peers = List.copyOf(peers);
        if (tlsProtocols.isEmpty()) {
            throw new IllegalArgumentException("at least one TLS protocol");
        }
        advertisedAddress = advertisedAddress == null ? "" : advertisedAddress;
        Objects.requireNonNull(natKeepaliveInterval, "natKeepaliveInterval");
        if (transports.isEmpty()) {
            throw new IllegalArgumentException("at least one transport");
        }
        transports = Collections.unmodifiableSet(EnumSet.copyOf(transports));
        digestAlgorithms = List.copyOf(digestAlgorithms);
        if (digestAlgorithms.isEmpty()) {
            throw new IllegalArgumentException("at least one digest algorithm");
        }
        acceptedDigestAlgorithms = List.copyOf(acceptedDigestAlgorithms);
        Objects.requireNonNull(banWindow, "banWindow");
        Objects.requireNonNull(banDuration, "banDuration");
        if (requestsPerSecond < 0 || banDigestFailures < 0) {
            throw new IllegalArgumentException("requestsPerSecond and banDigestFailures must not be negative");
        }
    }

    /**
     * The algorithms a digest answer may use: those challenged, then those also accepted. RFC 8760
     * §2.4 lets the UAC choose among the challenges; a UA configured for SHA-256 that answers an MD5
     * challenge's nonce with SHA-256 is no weaker, so it is accepted when listed.
     */
    public List<DigestAlgorithm> verifiedAlgorithms() {
        if (acceptedDigestAlgorithms.isEmpty() || digestAlgorithms.containsAll(acceptedDigestAlgorithms)) {
            return digestAlgorithms;
        }
        java.util.LinkedHashSet<DigestAlgorithm> all = new java.util.LinkedHashSet<>(digestAlgorithms);
        all.addAll(acceptedDigestAlgorithms);
        return List.copyOf(all);
    }

    public static ServerSettings defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        return new Builder().address(address).port(port).transports(transports).domain(domain).realm(realm)
                .usersFile(usersFile).nonceLifetime(nonceLifetime).expiresMin(expiresMin).expiresMax(expiresMax)
                .expiresDefault(expiresDefault).digestAlgorithms(digestAlgorithms)
                .acceptedDigestAlgorithms(acceptedDigestAlgorithms).forkGroupRingTime(forkGroupRingTime)
                .requestsPerSecond(requestsPerSecond).banDigestFailures(banDigestFailures).banWindow(banWindow)
                .banDuration(banDuration)
                .tlsPort(tlsPort).tlsKeystore(tlsKeystore).tlsKeystorePassword(tlsKeystorePassword)
                .tlsTruststore(tlsTruststore).tlsTruststorePassword(tlsTruststorePassword).tlsProtocols(tlsProtocols)
                .peers(peers)
                .advertisedAddress(advertisedAddress).advertisedPort(advertisedPort)
                .natKeepaliveInterval(natKeepaliveInterval);
    }

    /** The host of our Via sent-by and Record-Route: the advertised address, else the listen address. */
    public String sentByHost() {
        return advertisedAddress.isEmpty() ? address : advertisedAddress;
    }

    /** The port of our Via sent-by and Record-Route: the advertised port, else the listening port. */
    public int sentByPort() {
        return advertisedPort > 0 ? advertisedPort : port;
    }

    /** True if the listening points differ (address, ports or transports): the stack must rebind. */
    public boolean listensDifferently(ServerSettings other) {
        return !address.equals(other.address) || port != other.port || !transports.equals(other.transports)
                || (transports.contains(Transport.TLS) && tlsPort != other.tlsPort);
    }

    /**
     * True if the TLS key material or versions differ: the RI reads them once, when its stack is
     * created, so a change needs a new stack.
     */
    public boolean tlsDiffers(ServerSettings other) {
        return !tlsKeystore.equals(other.tlsKeystore) || !Objects.equals(tlsKeystorePassword, other.tlsKeystorePassword)
                || !Objects.equals(tlsTruststore, other.tlsTruststore)
                || !Objects.equals(tlsTruststorePassword, other.tlsTruststorePassword)
                || !tlsProtocols.equals(other.tlsProtocols);
    }

    /** These settings with the listening part (address, ports, transports, TLS) of {@code other}. */
    public ServerSettings listeningAs(ServerSettings other) {
        return toBuilder().address(other.address).port(other.port).transports(other.transports)
                .tlsPort(other.tlsPort).tlsKeystore(other.tlsKeystore).tlsKeystorePassword(other.tlsKeystorePassword)
                .tlsTruststore(other.tlsTruststore).tlsTruststorePassword(other.tlsTruststorePassword)
                .tlsProtocols(other.tlsProtocols).build();
    }

    /** The trusted peer a request from {@code host}:{@code port} came from, if any. */
    public java.util.Optional<TrustedPeer> peerAt(String host, int port, boolean udp) {
        return peers.stream().filter(p -> p.isSource(host, port, udp)).findFirst();
    }

    /** The trusted peer {@code number} (a Request-URI user that is no user here) is routed to, if any. */
    public java.util.Optional<TrustedPeer> peerFor(String number) {
        return peers.stream().filter(p -> p.hasNumber(number)).findFirst();
    }

    /** The port a transport listens on: {@link #tlsPort()} for TLS, {@link #port()} for the others. */
    public int portOf(Transport t) {
        return t == Transport.TLS ? tlsPort : port;
    }

    /** Like the generated one, with the passwords masked (settings are logged). */
    @Override
    public String toString() {
        return "ServerSettings[address=" + address + ", port=" + port + ", transports=" + transports + ", domain="
                + domain + ", realm=" + realm + ", usersFile=" + usersFile + ", nonceLifetime=" + nonceLifetime
                + ", expires=" + expiresMin + "/" + expiresMax + "/" + expiresDefault + ", digestAlgorithms="
                + digestAlgorithms + ", acceptedDigestAlgorithms=" + acceptedDigestAlgorithms
                + ", forkGroupRingTime=" + forkGroupRingTime + ", tlsPort=" + tlsPort + ", tlsKeystore=" + tlsKeystore
                + ", tlsKeystorePassword=" + (tlsKeystorePassword == null ? "(none)" : "***") + ", tlsTruststore="
                + tlsTruststore + ", tlsTruststorePassword=" + (tlsTruststorePassword == null ? "(none)" : "***")
                + ", tlsProtocols=" + tlsProtocols + ", requestsPerSecond=" + requestsPerSecond + ", banDigestFailures="
                + banDigestFailures + ", banWindow=" + banWindow + ", banDuration=" + banDuration + ", peers=" + peers
                + ", advertised=" + advertisedAddress + ":" + advertisedPort + ", natKeepaliveInterval="
                + natKeepaliveInterval + "]";
    }

    public static final class Builder {
        private String address = DEFAULT_ADDRESS;
        private int port = DEFAULT_PORT;
        private Set<Transport> transports = EnumSet.of(Transport.UDP, Transport.TCP);
        private String domain = DEFAULT_ADDRESS;
        private String realm = DEFAULT_REALM;
        private Path usersFile = Path.of(DEFAULT_USERS_FILE);
        private Duration nonceLifetime = Duration.ofSeconds(DEFAULT_NONCE_LIFETIME);
        private int expiresMin = DEFAULT_EXPIRES_MIN;
        private int expiresMax = DEFAULT_EXPIRES_MAX;
        private int expiresDefault = DEFAULT_EXPIRES_DEFAULT;
        private List<DigestAlgorithm> digestAlgorithms = List.of(DigestAlgorithm.MD5);
        private List<DigestAlgorithm> acceptedDigestAlgorithms = List.of(DigestAlgorithm.MD5, DigestAlgorithm.SHA_256);
        private Duration forkGroupRingTime = Duration.ofSeconds(DEFAULT_FORK_GROUP_RING_TIME);
        private int requestsPerSecond = DEFAULT_REQUESTS_PER_SECOND;
        private int banDigestFailures = DEFAULT_BAN_DIGEST_FAILURES;
        private Duration banWindow = Duration.ofSeconds(DEFAULT_BAN_WINDOW);
        private Duration banDuration = Duration.ofSeconds(DEFAULT_BAN_DURATION);
        private int tlsPort = DEFAULT_TLS_PORT;
        private Path tlsKeystore = Path.of(DEFAULT_TLS_KEYSTORE);
        private String tlsKeystorePassword;
        private Path tlsTruststore;
        private String tlsTruststorePassword;
        private List<String> tlsProtocols = DEFAULT_TLS_PROTOCOLS;
        private List<TrustedPeer> peers = List.of();
        private String advertisedAddress = DEFAULT_ADVERTISED_ADDRESS;
        private int advertisedPort = DEFAULT_ADVERTISED_PORT;
        private Duration natKeepaliveInterval = Duration.ofSeconds(DEFAULT_NAT_KEEPALIVE_INTERVAL);

        private Builder() {
        }

        public Builder address(String v) { address = v; return this; }
        public Builder port(int v) { port = v; return this; }
        public Builder transports(Set<Transport> v) { transports = v; return this; }
        public Builder domain(String v) { domain = v; return this; }
        public Builder realm(String v) { realm = v; return this; }
        public Builder usersFile(Path v) { usersFile = v; return this; }
        public Builder nonceLifetime(Duration v) { nonceLifetime = v; return this; }
        public Builder expiresMin(int v) { expiresMin = v; return this; }
        public Builder expiresMax(int v) { expiresMax = v; return this; }
        public Builder expiresDefault(int v) { expiresDefault = v; return this; }
        public Builder digestAlgorithms(List<DigestAlgorithm> v) { digestAlgorithms = v; return this; }
        public Builder acceptedDigestAlgorithms(List<DigestAlgorithm> v) { acceptedDigestAlgorithms = v; return this; }
        public Builder forkGroupRingTime(Duration v) { forkGroupRingTime = v; return this; }
        public Builder requestsPerSecond(int v) { requestsPerSecond = v; return this; }
        public Builder banDigestFailures(int v) { banDigestFailures = v; return this; }
        public Builder banWindow(Duration v) { banWindow = v; return this; }
        public Builder banDuration(Duration v) { banDuration = v; return this; }
        public Builder tlsPort(int v) { tlsPort = v; return this; }
        public Builder tlsKeystore(Path v) { tlsKeystore = v; return this; }
        public Builder tlsKeystorePassword(String v) { tlsKeystorePassword = v; return this; }
        public Builder tlsTruststore(Path v) { tlsTruststore = v; return this; }
        public Builder tlsTruststorePassword(String v) { tlsTruststorePassword = v; return this; }
        public Builder tlsProtocols(List<String> v) { tlsProtocols = v; return this; }
        public Builder peers(List<TrustedPeer> v) { peers = v; return this; }
        public Builder advertisedAddress(String v) { advertisedAddress = v; return this; }
        public Builder advertisedPort(int v) { advertisedPort = v; return this; }
        public Builder natKeepaliveInterval(Duration v) { natKeepaliveInterval = v; return this; }

        public ServerSettings build() {
            return new ServerSettings(address, port, transports, domain, realm, usersFile, nonceLifetime,
                    expiresMin, expiresMax, expiresDefault, digestAlgorithms, acceptedDigestAlgorithms,
                    forkGroupRingTime, requestsPerSecond, banDigestFailures, banWindow, banDuration,
                    tlsPort, tlsKeystore, tlsKeystorePassword, tlsTruststore, tlsTruststorePassword,
                    tlsProtocols, peers, advertisedAddress, advertisedPort, natKeepaliveInterval);
        }
    }
}
