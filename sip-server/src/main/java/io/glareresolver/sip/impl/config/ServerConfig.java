package io.glareresolver.sip.impl.config;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.AttributeType;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * Metatype description of PID {@value ServerSettings#PID}. Method names map to property keys
 * ({@code users_file} is {@code users.file}, {@code $_$} is {@code -}: {@code ban_digest$_$failures} is
 * {@code ban.digest-failures}); {@link SettingsReader} reads and validates the raw map.
 */
@ObjectClassDefinition(id = ServerSettings.PID, name = "Glare Resolver SIP server",
        description = "Listening address, transports (UDP, TCP, TLS), SIP domain, digest realm, users file, registration "
                + "limits and the per-source protection (request rate, ban after repeated digest failures). "
                + "Changing the address, port or transports rebinds the listening points without losing registrations.")
public @interface ServerConfig {

    @AttributeDefinition(name = "Listen address", description = "IP address of a local interface (no wildcard, no "
            + "port): IPv4 as 127.0.0.1, IPv6 bare or bracketed, ::1 or [::1]; Via and Record-Route then carry [::1]")
    String address() default ServerSettings.DEFAULT_ADDRESS;

    @AttributeDefinition(name = "Port", description = "SIP port for UDP and TCP (1-65535)", min = "1", max = "65535")
    int port() default ServerSettings.DEFAULT_PORT;

    @AttributeDefinition(name = "Transports", description = "udp, tcp and/or tls (tls listens on the TLS port, "
            + "and only with a readable key store and its password)",
            options = {@org.osgi.service.metatype.annotations.Option(label = "UDP", value = "udp"),
                    @org.osgi.service.metatype.annotations.Option(label = "TCP", value = "tcp"),
                    @org.osgi.service.metatype.annotations.Option(label = "TLS", value = "tls")})
    String[] transports() default {"udp", "tcp"};

    @AttributeDefinition(name = "TLS port", description = "SIP over TLS (sips: and transport=tls); must differ "
            + "from the TCP port", min = "1", max = "65535")
    int tls_port() default ServerSettings.DEFAULT_TLS_PORT;

    @AttributeDefinition(name = "TLS key store", description = "PKCS#12 file with the server's private key and "
            + "certificate, relative to the runtime folder (keytool -genkeypair ... -storetype PKCS12)")
    String tls_keystore() default ServerSettings.DEFAULT_TLS_KEYSTORE;

    @AttributeDefinition(name = "TLS key store password", type = AttributeType.PASSWORD, required = false,
            description = "password of the key store and of its key; no default: without it TLS stays off")
    String tls_keystore_password();

    @AttributeDefinition(name = "TLS trust store", required = false, description = "PKCS#12 file with the "
            + "certificates trusted when the server opens a TLS connection itself; empty: the key store's own")
    String tls_truststore();

    @AttributeDefinition(name = "TLS trust store password", type = AttributeType.PASSWORD, required = false,
            description = "empty: the key store's password")
    String tls_truststore_password();

    @AttributeDefinition(name = "TLS versions", description = "offered and accepted",
            options = {@org.osgi.service.metatype.annotations.Option(label = "TLS 1.3", value = "TLSv1.3"),
                    @org.osgi.service.metatype.annotations.Option(label = "TLS 1.2", value = "TLSv1.2")})
    String[] tls_protocols() default {"TLSv1.3", "TLSv1.2"};

    @AttributeDefinition(name = "Trusted peers", description = "PBXs on trunks, trusted by source address (no digest): "
            + "name@address[:port];numbers=prefix[|prefix...][;tiebreak=id], e.g. asterisk@192.0.2.20:5060;numbers=2|3;"
            + "tiebreak=900. Calls from a peer reach users by extension; calls of users to a peer's numbers go to it; "
            + "tiebreak is its extensions' glare tie-break value", required = false)
    String[] peers() default {};

    @AttributeDefinition(name = "SIP domain", description = "Addresses of record are user@domain; requests to the "
            + "domain, the listen address or localhost are local; an IPv6 literal is written [::1] (alice@[::1])")
    String domain() default ServerSettings.DEFAULT_ADDRESS;

    @AttributeDefinition(name = "Digest realm")
    String realm() default ServerSettings.DEFAULT_REALM;

    @AttributeDefinition(name = "Users file", description = "name id realm ha1-md5 ha1-sha256 per line; "
            + "relative to the working directory; reloaded when it changes")
    String users_file() default ServerSettings.DEFAULT_USERS_FILE;

    @AttributeDefinition(name = "Digest algorithms challenged", description = "challenges offered, most preferred "
            + "first (RFC 8760). MD5 alone by default: baresip 1.0 cannot register once a SHA-256 challenge is "
            + "offered, and MicroSIP/Zoiper-style UAs read only the first; SHA-256,MD5 for UAs that prefer SHA-256",
            options = {@org.osgi.service.metatype.annotations.Option(label = "MD5", value = "MD5"),
                    @org.osgi.service.metatype.annotations.Option(label = "SHA-256", value = "SHA-256")})
    String[] digest_algorithms() default {"MD5"};

    @AttributeDefinition(name = "Digest algorithms accepted", description = "answers accepted besides the "
            + "challenged ones: a UA configured for SHA-256 may answer with it",
            options = {@org.osgi.service.metatype.annotations.Option(label = "MD5", value = "MD5"),
                    @org.osgi.service.metatype.annotations.Option(label = "SHA-256", value = "SHA-256")})
    String[] digest_accepted() default {"MD5", "SHA-256"};

    @AttributeDefinition(name = "Ring time per q-value (s)", type = AttributeType.INTEGER, min = "0", max = "180",
            description = "a call forks to all of a user's phones with the highest q-value at once; the next "
            + "q-value's phones ring when those all failed or rang this long unanswered (0: no limit)")
    int fork_group$_$ring$_$time() default ServerSettings.DEFAULT_FORK_GROUP_RING_TIME;

    // NAT traversal
    @AttributeDefinition(name = "Advertised address", required = false, description = "public IP address of a "
            + "server behind a 1:1 NAT, put in Via and Record-Route instead of the listen address and taken as ours "
            + "in Route and Request-URI (Kamailio advertise); empty: none")
    String advertised_address() default ServerSettings.DEFAULT_ADVERTISED_ADDRESS;

    @AttributeDefinition(name = "Advertised port", type = AttributeType.INTEGER, min = "0", max = "65535",
            description = "port advertised with the advertised address (0: the listening port)")
    int advertised_port() default ServerSettings.DEFAULT_ADVERTISED_PORT;

    @AttributeDefinition(name = "NAT keep-alive interval (s)", type = AttributeType.INTEGER, min = "0", max = "3600",
            description = "phones registered from behind a NAT get an OPTIONS (UDP) or a CRLF keep-alive (TCP) "
            + "this often, so that their NAT keeps the mapping open (0: off)")
    int nat_keepalive$_$interval() default ServerSettings.DEFAULT_NAT_KEEPALIVE_INTERVAL;

    @AttributeDefinition(name = "Nonce lifetime (s)", type = AttributeType.INTEGER, min = "10", max = "86400")
    int nonce_lifetime() default ServerSettings.DEFAULT_NONCE_LIFETIME;

    @AttributeDefinition(name = "Minimum registration interval (s)", description = "423 Interval Too Brief below it",
            min = "1")
    int expires_min() default ServerSettings.DEFAULT_EXPIRES_MIN;

    @AttributeDefinition(name = "Maximum registration interval (s)", description = "longer requests are shortened",
            min = "1")
    int expires_max() default ServerSettings.DEFAULT_EXPIRES_MAX;

    @AttributeDefinition(name = "Default registration interval (s)", min = "1")
    int expires_default() default ServerSettings.DEFAULT_EXPIRES_DEFAULT;

    @AttributeDefinition(name = "Requests per second per source", description = "requests one source address may "
            + "send per second (also its largest burst); more get 503 Service Unavailable with Retry-After, ACKs "
            + "are dropped. 0: no limit. A load generator or a PBX trunk is one source", min = "0", max = "1000000")
    int limit_requests$_$per$_$second() default ServerSettings.DEFAULT_REQUESTS_PER_SECOND;

    @AttributeDefinition(name = "Digest failures that ban a source", description = "wrong digest answers or "
            + "unknown users from one source address within the ban window; the source's requests are then "
            + "dropped without an answer for the ban duration. A request without credentials or with a stale "
            + "nonce is no failure. 0: no bans", min = "0", max = "1000000")
    int ban_digest$_$failures() default ServerSettings.DEFAULT_BAN_DIGEST_FAILURES;

    @AttributeDefinition(name = "Ban window (s)", description = "the failures must fall within this time of the "
            + "first", min = "1", max = "86400")
    int ban_window() default ServerSettings.DEFAULT_BAN_WINDOW;

    @AttributeDefinition(name = "Ban duration (s)", min = "1", max = "604800")
    int ban_duration() default ServerSettings.DEFAULT_BAN_DURATION;
}
