package io.glareresolver.endpoint;

import io.glareresolver.endpoint.fsm.Variant;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Objects;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The seed's communication device as a SIP user agent (one JAIN-SIP stack, UDP on 127.0.0.1).
 *
 * <pre>{@code
 * try (GlareEndpoint alice = GlareEndpoint.builder().user("alice").password("secret")
 *         .server("127.0.0.1", 5060).id(1001).build()) {
 *     alice.register();
 *     CallResult r = alice.call("bob").result().get(5, SECONDS);
 * }
 * }</pre>
 */
public interface GlareEndpoint extends AutoCloseable {

    /** @return a builder; {@code user} is required, everything else has a default */
    static Builder builder() {
        return new Builder();
    }

    /**
     * Registers with digest authentication (MD5 or SHA-256, qop=auth) and {@code Supported: glare}.
     * Blocks until the registrar answers or the register timeout passes.
     *
     * @throws RegistrationException wrong password, unreachable server, or any other refusal
     * @throws IllegalStateException when no server is configured
     */
    Registration register() throws RegistrationException;

    /** Removes our binding (REGISTER with Expires 0) and stops refreshing it; {@link #close()} does this too. */
    void unregister();

    /**
     * Calls a peer: S61 opens the media port, S62–S63 send the INVITE with the port and the
     * additional information. If a call with that peer is already in progress (an incoming INVITE
     * got there first), returns that call's handle instead of placing a second one.
     *
     * @param target {@code user} (in our domain, through the server), {@code user@host}, or a SIP URI
     *     such as {@code sip:bob@127.0.0.1:5071} for a direct call
     */
    CallHandle call(String target);

    /**
     * Opens the media port (S61) and prepares the INVITE without sending it, so that a test can
     * fire two INVITEs at the same instant. {@link PreparedCall#send()} sends it.
     */
    PreparedCall prepareCall(String target);

    /** @return ports opened and closed so far */
    PortCounts ports();

    /** @return our AOR, {@code user@domain} */
    String aor();

    /** @return our contact URI, {@code sip:user@127.0.0.1:port} */
    String contact();

    /** @return the SIP (UDP) port of this endpoint */
    int sipPort();

    /** Stops the stack and closes every open port. */
    @Override
    void close();

    /** A call whose port is open and whose INVITE is built, not yet sent. */
    interface PreparedCall {
        /** @return the media port opened for it (S61) */
        int localPort();

        /** Sends the INVITE (S63), or joins a call with the peer that started meanwhile. */
        CallHandle send();
    }

    /**
     * Collects the options of an endpoint; {@link #config()} freezes them into an
     * {@link EndpointConfig}, {@link #build()} starts the stack with it. Not thread-safe; the
     * endpoint never reads the builder, only the record.
     */
    final class Builder {
        private String user;
        private String password;
        private String serverHost;
        private int serverPort = 5060;
        private String domain;
        private int sipPort;
        private long id = 1;
        private TiebreakSource tiebreakSource = TiebreakSource.ID;
        private final Set<Variant> variants = EnumSet.noneOf(Variant.class);
        private Duration registerTimeout = Duration.ofSeconds(5);
        private Duration ackTimeout = Duration.ofSeconds(32);
        private Duration glareTimeout = Duration.ofSeconds(32);
        private Duration peerInviteTimeout = Duration.ofSeconds(5);
        private int expires = 3600;
        private Consumer<CallHandle> incoming = h -> { };
        private Consumer<String> trace = t -> { };

        Builder() {
        }

        /** Our user name (AOR user part, digest user name). */
        public Builder user(String user) {
            this.user = Objects.requireNonNull(user);
            return this;
        }

        public Builder password(String password) {
            this.password = password;
            return this;
        }

        /** The registrar/proxy; without it the endpoint calls peers directly (seed Fig. 4). */
        public Builder server(String host, int port) {
            this.serverHost = Objects.requireNonNull(host);
            this.serverPort = port;
            return this;
        }

        /** Our AOR's host part; default: the server host, else 127.0.0.1. */
        public Builder domain(String domain) {
            this.domain = domain;
            return this;
        }

        /** Our SIP UDP port on 127.0.0.1; 0 (default) picks a free one. */
        public Builder sipPort(int port) {
            this.sipPort = port;
            return this;
        }

        /** The device ID sent as {@code Glare-Tiebreak: <id>;kind=id} (seed S62). */
        public Builder id(long id) {
            if (id < 0) {
                throw new IllegalArgumentException("ID must be 0..2^63-1");
            }
            this.id = id;
            this.tiebreakSource = TiebreakSource.ID;
            return this;
        }

        /** A random value per call instead of the ID (seed claim 7). */
        public Builder randomTiebreak() {
            this.tiebreakSource = TiebreakSource.RANDOM;
            return this;
        }

        public Builder tiebreakSource(TiebreakSource source) {
            this.tiebreakSource = Objects.requireNonNull(source);
            return this;
        }

        public Builder variants(Set<Variant> variants) {
            this.variants.clear();
            this.variants.addAll(variants);
            return this;
        }

        /**
         * One of the seed's variants, or {@link Variant#PLAIN_RFC3261}: a phone that knows nothing
         * of glare (no {@code Supported: glare}, no {@code Glare-Tiebreak}, a crossing INVITE
         * refused {@code 486}), the state machine of the benchmark's baseline phone.
         */
        public Builder variant(Variant v) {
            this.variants.add(v);
            return this;
        }

        public Builder registerTimeout(Duration d) {
            this.registerTimeout = d;
            return this;
        }

        /** How long to wait for the ACK to our 200 OK (S117); RFC 3261's 64*T1 by default. */
        public Builder ackTimeout(Duration d) {
            this.ackTimeout = d;
            return this;
        }

        /** How long any other wait of the glare states may last before the port is closed. */
        public Builder glareTimeout(Duration d) {
            this.glareTimeout = d;
            return this;
        }

        /**
         * How long a port is kept after a 491 (or 491 + accept-peer) to our INVITE while the peer's
         * crossing INVITE has not arrived yet; then the port is closed (S85).
         */
        public Builder peerInviteTimeout(Duration d) {
            this.peerInviteTimeout = d;
            return this;
        }

        public Builder expires(int seconds) {
            this.expires = seconds;
            return this;
        }

        /** Called (on the endpoint's thread) for each call that starts with a peer INVITE. */
        public Builder onIncoming(Consumer<CallHandle> listener) {
            this.incoming = Objects.requireNonNull(listener);
            return this;
        }

        /** Receives one line per SIP message sent or received (for the CLI's demo). */
        public Builder onTrace(Consumer<String> listener) {
            this.trace = Objects.requireNonNull(listener);
            return this;
        }

        /**
         * @return the options as an immutable record
         * @throws IllegalStateException when no user is set
         */
        public EndpointConfig config() {
            if (user == null || user.isBlank()) {
                throw new IllegalStateException("user is required");
            }
            return new EndpointConfig(user, password, serverHost, serverPort,
                    domain != null ? domain : serverHost != null ? serverHost : "127.0.0.1", sipPort, id,
                    tiebreakSource, variants, registerTimeout, ackTimeout, glareTimeout, peerInviteTimeout, expires,
                    incoming, trace);
        }

        /**
         * Starts the SIP stack on 127.0.0.1 with {@link #config()}, through the
         * {@link GlareEndpointProvider} of the class path (this jar's JAIN-SIP user agent).
         *
         * @throws IllegalStateException when no user is set, or no provider is found
         */
        public GlareEndpoint build() {
            EndpointConfig config = config();
            return provider().start(config);
        }

        // The API's own class loader, not the thread's context loader: the provider ships in the same
        // jar (or bundle) as this class, whichever loader the caller runs in. Looked up per build():
        // it reads one small resource, next to the seconds a SIP stack takes to start.
        private static GlareEndpointProvider provider() {
            String file = "META-INF/services/" + GlareEndpointProvider.class.getName();
            try {
                return ServiceLoader.load(GlareEndpointProvider.class, GlareEndpointProvider.class.getClassLoader())
                        .findFirst()
                        .orElseThrow(() -> new IllegalStateException("no " + GlareEndpointProvider.class.getName()
                                + " found: " + file + " is missing from the class path (the endpoint jar has it; "
                                + "a repackaged jar must keep it)"));
            } catch (ServiceConfigurationError e) {
                throw new IllegalStateException("the " + GlareEndpointProvider.class.getName() + " named in "
                        + file + " cannot be loaded: " + e.getMessage(), e);
            }
        }
    }
}
