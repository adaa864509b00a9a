package io.glareresolver.endpoint;

import io.glareresolver.endpoint.fsm.Variant;
import io.glareresolver.endpoint.internal.SipGlareEndpoint;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Objects;
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

    /** Configuration of an endpoint; {@link #build()} starts the stack. */
    final class Builder {
        String user;
        String password;
        String serverHost;
        int serverPort = 5060;
        String domain;
        int sipPort;
        long id = 1;
        TiebreakSource tiebreakSource = TiebreakSource.ID;
        Set<Variant> variants = EnumSet.noneOf(Variant.class);
        Duration registerTimeout = Duration.ofSeconds(5);
        Duration ackTimeout = Duration.ofSeconds(32);
        Duration glareTimeout = Duration.ofSeconds(32);
        Duration peerInviteTimeout = Duration.ofSeconds(5);
        int expires = 3600;
        Consumer<CallHandle> incoming = h -> { };
        Consumer<String> trace = t -> { };
        Duration inboundInviteDelay = Duration.ZERO;
        java.util.function.Supplier<? extends java.util.concurrent.CompletionStage<?>> inboundInviteGate;
        int baselineAttempts;

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
            this.variants = variants.isEmpty() ? EnumSet.noneOf(Variant.class) : EnumSet.copyOf(variants);
            return this;
        }

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

        public Duration peerInviteTimeout() {
            return peerInviteTimeout;
        }

        /**
         * A plain RFC 3261 phone, the baseline glare resolution is measured against (10 attempts
         * per call): see {@link #rfc3261Baseline(int)}.
         */
        public Builder rfc3261Baseline() {
            return rfc3261Baseline(10);
        }

        /**
         * A plain RFC 3261 phone: no glare support advertised ({@code Supported: glare} and
         * {@code Glare-Tiebreak} are never sent, {@link Variant#PLAIN_RFC3261}); a peer INVITE
         * that crosses our pending one is answered {@code 486 Busy Here}; when our own INVITE is
         * refused {@code 486} or {@code 491} the port is closed, and after a random back-off a
         * new INVITE (new Call-ID) goes out on a freshly opened port, up to {@code attempts}
         * INVITEs per {@link GlareEndpoint#call call}. A peer INVITE that arrives during the
         * back-off is answered 200 OK and becomes the call.
         *
         * <p>The back-off is RFC 3261 §14.1's rule for a 491, applied to the crossing of two
         * initial INVITEs (which share no dialog): "If the UAC is the owner of the Call-ID of the
         * dialog ID (meaning it generated the value), T has a randomly chosen value between 2.1
         * and 4 seconds in units of 10 ms. If the UAC is not the owner of the Call-ID of the
         * dialog ID, T has a randomly chosen value of between 0 and 2 seconds in units of 10 ms."
         * Both sides own a Call-ID here, so the side whose Call-ID is the greater of the two
         * crossing Call-IDs (both see both) takes the 2.1–4 s range and the other 0–2 s; a side
         * that never saw the peer's INVITE (refused by a busy peer) takes 0–2 s.
         *
         * @param attempts the most INVITEs one call may send, 1..100
         */
        public Builder rfc3261Baseline(int attempts) {
            if (attempts < 1 || attempts > 100) {
                throw new IllegalArgumentException("attempts must be 1..100: " + attempts);
            }
            this.baselineAttempts = attempts;
            this.tiebreakSource = TiebreakSource.NONE;
            this.variants.add(Variant.PLAIN_RFC3261);
            return this;
        }

        /** @return true for a plain RFC 3261 phone ({@link #rfc3261Baseline(int)}) */
        public boolean isRfc3261Baseline() {
            return baselineAttempts > 0;
        }

        /** @return the most INVITEs one call of a plain RFC 3261 phone sends; 0 for a glare-aware one */
        public int baselineAttempts() {
            return baselineAttempts;
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

        /**
         * Test support: every incoming initial INVITE is handled only this long after it arrived
         * (on a timer thread; other messages, such as the responses to our own INVITE, are handled
         * meanwhile). A test uses it to make this endpoint's own INVITE leave, authenticated,
         * before it sees the peer's, i.e. to fix the arrival order of two crossing INVITEs at a
         * server. Default zero; never set it in use.
         */
        public Builder inboundInviteDelay(Duration d) {
            if (d.isNegative()) {
                throw new IllegalArgumentException("inboundInviteDelay must not be negative: " + d);
            }
            this.inboundInviteDelay = d;
            return this;
        }

        public Duration inboundInviteDelay() {
            return inboundInviteDelay;
        }

        /**
         * Test support: every incoming initial INVITE is handled only when the stage the gate
         * returns for it completes (normally or not; on a timer thread; other messages go on
         * meanwhile). A test opens the gate once a server has seen both crossing INVITEs, which
         * fixes their arrival order without guessing a delay. Default none; never set it in use.
         */
        public Builder inboundInviteGate(java.util.function.Supplier<? extends java.util.concurrent.CompletionStage<?>> gate) {
            this.inboundInviteGate = Objects.requireNonNull(gate);
            return this;
        }

        public java.util.function.Supplier<? extends java.util.concurrent.CompletionStage<?>> inboundInviteGate() {
            return inboundInviteGate;
        }

        /** Receives one line per SIP message sent or received (for the CLI's demo). */
        public Builder onTrace(Consumer<String> listener) {
            this.trace = Objects.requireNonNull(listener);
            return this;
        }

        public String user() {
            return user;
        }

        public String password() {
            return password;
        }

        public String serverHost() {
            return serverHost;
        }

        public int serverPort() {
            return serverPort;
        }

        public String domain() {
            return domain != null ? domain : serverHost != null ? serverHost : "127.0.0.1";
        }

        public int sipPort() {
            return sipPort;
        }

        public long id() {
            return id;
        }

        public TiebreakSource tiebreakSource() {
            return tiebreakSource;
        }

        public Set<Variant> variants() {
            return EnumSet.copyOf(variants.isEmpty() ? EnumSet.noneOf(Variant.class) : variants);
        }

        public Duration registerTimeout() {
            return registerTimeout;
        }

        public Duration ackTimeout() {
            return ackTimeout;
        }

        public Duration glareTimeout() {
            return glareTimeout;
        }

        public int expires() {
            return expires;
        }

        public Consumer<CallHandle> incoming() {
            return incoming;
        }

        public Consumer<String> trace() {
            return trace;
        }

        /** Starts the SIP stack on 127.0.0.1. */
        public GlareEndpoint build() {
            if (user == null || user.isBlank()) {
                throw new IllegalStateException("user is required");
            }
            return SipGlareEndpoint.start(this);
        }
    }
}
