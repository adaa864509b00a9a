package io.glareresolver.sip.impl.config;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.AttributeType;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * Metatype description of PID {@value ServerSettings#PID}. Method names map to property keys
 * ({@code users_file} is {@code users.file}); {@link SettingsReader} reads and validates the raw map.
 */
@ObjectClassDefinition(id = ServerSettings.PID, name = "Glare Resolver SIP server",
        description = "Listening address, transports, SIP domain, digest realm, users file and registration limits. "
                + "Changing the address, port or transports rebinds the listening points without losing registrations.")
public @interface ServerConfig {

    @AttributeDefinition(name = "Listen address", description = "IP address of a local interface (no wildcard)")
    String address() default ServerSettings.DEFAULT_ADDRESS;

    @AttributeDefinition(name = "Port", description = "SIP port for every transport (1-65535)", min = "1", max = "65535")
    int port() default ServerSettings.DEFAULT_PORT;

    @AttributeDefinition(name = "Transports", description = "udp and/or tcp",
            options = {@org.osgi.service.metatype.annotations.Option(label = "UDP", value = "udp"),
                    @org.osgi.service.metatype.annotations.Option(label = "TCP", value = "tcp")})
    String[] transports() default {"udp", "tcp"};

    @AttributeDefinition(name = "SIP domain", description = "Addresses of record are user@domain; requests to the "
            + "domain, the listen address or localhost are local")
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
}
