package io.glareresolver.sip.impl.stack;

import java.time.Clock;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import javax.sip.DialogTerminatedEvent;
import javax.sip.IOExceptionEvent;
import javax.sip.ListeningPoint;
import javax.sip.RequestEvent;
import javax.sip.ResponseEvent;
import javax.sip.ServerTransaction;
import javax.sip.SipFactory;
import javax.sip.SipListener;
import javax.sip.SipProvider;
import javax.sip.SipStack;
import javax.sip.TimeoutEvent;
import javax.sip.TransactionAlreadyExistsException;
import javax.sip.TransactionTerminatedEvent;
import javax.sip.TransactionUnavailableException;
import javax.sip.address.SipURI;
import javax.sip.address.URI;
import javax.sip.header.CSeqHeader;
import javax.sip.header.CallIdHeader;
import javax.sip.header.FromHeader;
import javax.sip.header.MaxForwardsHeader;
import javax.sip.header.ProxyRequireHeader;
import javax.sip.header.ToHeader;
import javax.sip.header.ViaHeader;
import javax.sip.message.Request;
import javax.sip.message.Response;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.glareresolver.sip.api.Registration;
import io.glareresolver.sip.impl.auth.NonceService;
import io.glareresolver.sip.impl.config.ServerSettings;
import io.glareresolver.sip.impl.config.SipHost;
import io.glareresolver.sip.impl.config.TlsKeyStore;
import io.glareresolver.sip.impl.config.Transport;
import io.glareresolver.sip.impl.location.SubscriberStore;
import io.glareresolver.sip.impl.peers.TrustedPeer;
import io.glareresolver.sip.impl.proxy.HopGuard;
import io.glareresolver.sip.impl.proxy.InterceptorChain;
import io.glareresolver.sip.impl.proxy.InviteProxy;
import io.glareresolver.sip.impl.proxy.CallerAdmission;
import io.glareresolver.sip.impl.proxy.TargetLookup;
import io.glareresolver.sip.impl.proxy.RequestRelay;
import io.glareresolver.sip.impl.proxy.ResponseRouter;
import io.glareresolver.sip.impl.registrar.Registrar;
import io.glareresolver.sip.impl.screen.RequestScreen;
import io.glareresolver.sip.impl.screen.SourceGuard;

/**
 * The SIP server: one JAIN-SIP stack with a listening point per transport, the registrar and the
 * proxy. Plain Java (no OSGi): construct, {@link #start()}, {@link #reconfigure}, {@link #stop()}.
 * The users and the location table live in the {@link SubscriberStore}, outside the stack.
 */
public final class SipServer implements SipListener {

    private static final Logger LOG = LoggerFactory.getLogger(SipServer.class);
    private static final AtomicInteger STACKS = new AtomicInteger();

    private final SubscriberStore store;
    private final InterceptorChain interceptors;
    private final long timerCMillis;
    private final Clock clock;
    /** Per-source rate limit and bans; it outlives the stack (its counters are the server's). */
    private final SourceGuard guard;
    private volatile ServerSettings settings;

    private ThreadGroup stackThreads;
    private SipStack stack;
    private SipContext sip;
    private Registrar registrar;
    private InviteProxy invites;
    private RequestRelay relay;
    /** Out-of-dialog requests to users other than INVITE are authenticated like it (§22.3). */
    private TargetLookup targets;
    private CallerAdmission admission;
    private ResponseRouter responses;
    private ScheduledExecutorService timers;
    /** The settings whose TLS key material the running stack was created with; null: it has none. */
    private ServerSettings stackTls;
    private NatKeepAlive keepAlive;
    private java.util.concurrent.ScheduledFuture<?> keepAliveTask;

    public SipServer(ServerSettings settings, SubscriberStore store, InterceptorChain interceptors) {
        this(settings, store, interceptors, SipConstants.TIMER_C_MILLIS, Clock.systemUTC());
    }

    public SipServer(ServerSettings settings, SubscriberStore store, InterceptorChain interceptors, long timerCMillis,
                     Clock clock) {
        this(settings, store, interceptors, timerCMillis, clock, newGuard(settings, clock));
    }

    /** With a source guard of the caller's (the DS component keeps one across server instances). */
    public SipServer(ServerSettings settings, SubscriberStore store, InterceptorChain interceptors, long timerCMillis,
                     Clock clock, SourceGuard guard) {
        this.guard = guard;
        guard.limits(guardLimits(settings));
        this.settings = settings;
        this.store = store;
        this.interceptors = interceptors;
        this.timerCMillis = timerCMillis;
        this.clock = clock;
    }

    /** A source guard with the limits of {@code settings}, timed by {@link System#nanoTime()}. */
    public static SourceGuard newGuard(ServerSettings settings, Clock clock) {
        return new SourceGuard(guardLimits(settings), System::nanoTime, clock);
    }

    static SourceGuard.Limits guardLimits(ServerSettings s) {
        return new SourceGuard.Limits(s.requestsPerSecond(), s.banDigestFailures(), s.banWindow(), s.banDuration());
    }

    /** The per-source rate limit and bans, with their counters. */
    public SourceGuard guard() {
        return guard;
    }

    /** The JAIN-SIP RI settings (see DEPENDENCIES.md for the measurements behind them). */
    static Properties stackProperties(String name) {
        Properties p = new Properties();
        p.setProperty("javax.sip.STACK_NAME", name);
        // a proxy runs without automatic dialogs: with them every relayed BYE fails
        p.setProperty("javax.sip.AUTOMATIC_DIALOG_SUPPORT", "off");
        p.setProperty("gov.nist.javax.sip.THREAD_POOL_SIZE", "4");
        // false: the RI's one EventScanner thread calls the listener. With true (the RI's message threads
        // call it directly) RawLoadProbeIT measured 6-11 % more setups/s and 0.59-0.62 instead of 0.66 ms
        // of CPU per call, but the server stopped answering altogether for a minute in 1 of 2
        // RedeployUnderLoadIT runs: in that mode the RI calls the listener from inside its own
        // transaction processing, while the proxy calls the RI with a call's lock held (lock-order
        // inversion). Not worth a deadlock; see docs/design-notes.md (the reentrant listener).
        p.setProperty("gov.nist.javax.sip.REENTRANT_LISTENER", "false");
        // the UDP receive buffer allocated per datagram is this size (RFC 3261 §18.1.1 sends anything
        // near the MTU over TCP instead; the largest message of our tests is far below it)
        p.setProperty("gov.nist.javax.sip.MAX_MESSAGE_SIZE", "8192");
        // "Normal" (what AGGRESSIVE_CLEANUP=true selects) keeps a finished transaction's last response as
        // bytes and drops the parsed messages. It costs CPU (the RI encodes the request and parses it again
        // when the transaction is removed), but "Aggressive" keeps no bytes: a retransmitted request then
        // gets no retransmitted response (RFC 3261 §17.2.1/§17.2.2; seen: RFC 4475 inv2543, longreq, wsinv
        // went unanswered), and "None" keeps every parsed message for 32 s (DEPENDENCIES.md: GC-bound).
        p.setProperty("gov.nist.javax.sip.RELEASE_REFERENCES_STRATEGY",
                System.getProperty("glare.sip.releaseReferences", "Normal"));
        p.setProperty("gov.nist.javax.sip.TIMER_CLASS_NAME",
                System.getProperty("glare.sip.timerClass", "gov.nist.javax.sip.stack.timers.DefaultSipTimer"));
        p.setProperty("gov.nist.javax.sip.RECEIVE_UDP_BUFFER_SIZE", "4194304");
        p.setProperty("gov.nist.javax.sip.SEND_UDP_BUFFER_SIZE", "4194304");
        // The RI logs at ERROR what peers get wrong ("Dropped Bad Msg", "Malformed mandatory headers",
        // and for a request without a parsable CSeq an NPE plus a dump of its whole receive
        // buffer: one 200-byte datagram, 300 KB of log). A remote peer must not be able to fill the
        // log, and every RI failure that matters to us reaches this code as an exception or event,
        // logged with its Call-ID. So the RI's own log is off unless asked for (glare.sip.traceLevel=ERROR).
        p.setProperty("gov.nist.javax.sip.TRACE_LEVEL", System.getProperty("glare.sip.traceLevel", "OFF"));
        p.setProperty("gov.nist.javax.sip.LOG4J_LOGGER_NAME", "gov.nist.javax.sip");
        p.setProperty("gov.nist.javax.sip.LOG_MESSAGE_CONTENT", "false");
        // the proxy must see the ACK of its non-2xx answers to tell interceptors the INVITE is over
        p.setProperty("gov.nist.javax.sip.PASS_INVITE_NON_2XX_ACK_TO_LISTENER", "true");
        p.setProperty("gov.nist.javax.sip.CACHE_CLIENT_CONNECTIONS", "true");
        // NAT traversal (Kamailio force_rport): the RI then puts the source port in the top Via's rport
        // (and the source address in received) of every UDP request whose source port differs from its Via
        // port, asked for or not (RFC 3581 otherwise only for a Via with rport; over TCP the RI always sets
        // rport): the registrar reads the REGISTER's flow from there (RegisterSource), and responses go
        // back to where the request came from
        p.setProperty("gov.nist.javax.sip.ALWAYS_ADD_RPORT", "true");
        p.setProperty("gov.nist.javax.sip.READ_TIMEOUT", "2000");
        // Seconds the RI keeps a terminated transaction (and the INVITE's messages and our ProxiedInvite,
        // its application data) before removing it; its default is 8. RFC 3261 §17.2.1 / §17.1.1.2: an
        // INVITE transaction "MUST be destroyed the instant it enters the Terminated state" (at the 2xx, or
        // Timer I after the ACK of a non-2xx), and 2xx retransmissions are relayed without a transaction
        // (ResponseRouter.stray). With 0 the RI removes it at its next 500 ms tick. RawLoadProbeIT,
        // 2026-12-07: 8 s 2,301 setups/s and 0.713 ms CPU per call, 2 s 2,559 / 0.617, 1 s 2,591 / 0.585,
        // 0 2,761 / 0.558 (fewer survivors for every young collection to copy).
        p.setProperty("gov.nist.javax.sip.LINGER_TIMER", System.getProperty("glare.sip.lingerSeconds", "0"));
        // responses to requests relayed statelessly go on before the RI's transaction lookup
        p.setProperty("gov.nist.javax.sip.SIP_MESSAGE_VALVE", StatelessResponseValve.class.getName());
        return p;
    }

    public synchronized void start() throws Exception {
        if (stack != null) {
            return;
        }
        ServerSettings s = settings;
        TlsKeyStore.Readiness tls = tlsReadiness(s);
        ServerSettings effective = listenable(s, tls);
        if (effective == null) {
            throw new IllegalStateException("no transport to listen on: tls refused (" + tls.reason() + ")");
        }
        Properties properties = stackProperties("glare-resolver-" + STACKS.incrementAndGet());
        if (tls.ready()) {
            properties.putAll(tls.stackProperties());
        }
        String name = properties.getProperty("javax.sip.STACK_NAME");
        stackThreads = new ThreadGroup("sip-stack-" + name);
        ScheduledThreadPoolExecutor timerPool = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "sip-proxy-timers");
            t.setDaemon(true);
            return t;
        });
        // Timer C (181 s) is started for every forwarded INVITE and cancelled at its final response:
        // a cancelled task stays queued until its delay ends unless removed, and it holds the whole
        // proxied INVITE (requests, transactions), i.e. 181 s of INVITEs on the heap (SoakIT)
        timerPool.setRemoveOnCancelPolicy(true);
        timers = timerPool;
        try {
            inStackThreadGroup(() -> {
                SipFactory factory = SipFactory.getInstance();
                factory.setPathName("gov.nist");
                stack = factory.createSipStack(properties);
                sip = new SipContext(factory.createHeaderFactory(), factory.createMessageFactory(),
                        factory.createAddressFactory(), effective, store.dialogStamp());
                SipProvider provider = null;
                for (Transport t : effective.transports()) {
                    ListeningPoint lp = stack.createListeningPoint(bindAddress(s.address()), s.portOf(t), t.token());
                    if (provider == null) {
                        provider = stack.createSipProvider(lp);
                    } else {
                        provider.addListeningPoint(lp);
                    }
                }
                sip.provider(provider);
                sip.onBadCredentials(this::digestFailed);
                NonceService nonces = new NonceService(s.nonceLifetime(), clock);
                registrar = new Registrar(sip, store.users(), store.locations(), nonces, clock, interceptors);
                targets = new TargetLookup(sip, store.users(), store.locations());
                admission = new CallerAdmission(sip, store.users(), targets, nonces, registrar.verifier());
                invites = new InviteProxy(sip, targets, admission, interceptors, timers, timerCMillis, store.cluster());
                relay = new RequestRelay(sip);
                responses = new ResponseRouter(sip, invites, relay);
                StatelessResponseValve.register(name, responses::relayStateless);
                keepAlive = new NatKeepAlive(sip, store.locations());
                provider.addSipListener(this);
                stack.start();
                return null;
            });
        } catch (Exception e) {
            LOG.error("SIP server cannot listen on {} {}: {}", SipHost.hostPort(s.address(), s.port()), s.transports(),
                    e.toString());
            stopQuietly();
            throw e;
        }
        stackTls = tls.ready() ? s : null;
        timers.scheduleWithFixedDelay(store.locations()::purgeExpired, 30, 30, TimeUnit.SECONDS);
        timers.scheduleWithFixedDelay(guard::purgeExpired, 30, 30, TimeUnit.SECONDS);
        scheduleKeepAlive(s);
        store.cluster().announce(clusterUri(s));
        LOG.info("SIP server listening on {} (domain {}, realm {}{})", listening(), s.domain(), s.realm(),
                tls.ready() ? ", TLS " + String.join("/", s.tlsProtocols()) + " with certificate " + tls.certificate()
                        : "");
    }

    /**
     * Whether the key store of {@code s} lets TLS listen; a refusal is logged with its reason
     * (never a password). Without {@code tls} in the transports: not ready, nothing logged.
     */
    private static TlsKeyStore.Readiness tlsReadiness(ServerSettings s) {
        if (!s.transports().contains(Transport.TLS)) {
            return new TlsKeyStore.Readiness(false, "", new Properties(), "");
        }
        TlsKeyStore.Readiness r = TlsKeyStore.check(s);
        if (!r.ready()) {
            LOG.warn("TLS refused: {}; listening without TLS on port {}", r.reason(), s.tlsPort());
        }
        return r;
    }

    /** {@code s} without TLS if TLS was asked for and refused; null if no transport would be left. */
    private static ServerSettings listenable(ServerSettings s, TlsKeyStore.Readiness tls) {
        if (!s.transports().contains(Transport.TLS) || tls.ready()) {
            return s;
        }
        java.util.EnumSet<Transport> rest = java.util.EnumSet.copyOf(s.transports());
        rest.remove(Transport.TLS);
        return rest.isEmpty() ? null : s.toBuilder().transports(rest).build();
    }

    /**
     * The listen address in the spelling the RI reports back ({@code 0:0:0:0:0:0:0:1} for
     * {@code ::1}): the RI files a new listening point under the address as given but removes a
     * deleted one under its {@code getIPAddress()}, so with any other spelling a deleted point stays
     * filed and re-creating it on the same port and transport returns the dead one (seen: TCP
     * dropped and added back on {@code ::1} refused every connection).
     */
    static String bindAddress(String address) {
        return SipHost.literal(address).map(java.net.InetAddress::getHostAddress).orElse(address);
    }

    /** (Re)starts the NAT keep-alive rounds at the configured interval (none at 0). */
    private void scheduleKeepAlive(ServerSettings s) {
        if (keepAliveTask != null) {
            keepAliveTask.cancel(false);
            keepAliveTask = null;
        }
        long millis = s.natKeepaliveInterval().toMillis();
        if (millis > 0 && keepAlive != null) {
            keepAliveTask = timers.scheduleWithFixedDelay(keepAlive::round, millis, millis, TimeUnit.MILLISECONDS);
        }
    }

    /**
     * Runs stack creation in a thread of our own group: the RI's EventScannerThread is not a
     * daemon and survives SipStack.stop(); knowing its group lets {@link #stop()} end it.
     */
    private void inStackThreadGroup(Callable<Void> work) throws Exception {
        AtomicReference<Exception> failure = new AtomicReference<>();
        Thread t = new Thread(stackThreads, () -> {
            try {
                work.call();
            } catch (Exception e) {
                failure.set(e);
            }
        }, "sip-stack-start");
        t.start();
        t.join();
        if (failure.get() != null) {
            throw failure.get();
        }
    }

    public ServerSettings settings() {
        return settings;
    }

    /** True while the stack is up. */
    public synchronized boolean running() {
        return stack != null;
    }

    /** The listening points as {@code transport host:port} ({@code udp [::1]:5060}), for logs and tests. */
    public synchronized List<String> listening() {
        List<String> out = new ArrayList<>();
        if (sip != null && sip.provider() != null) {
            for (ListeningPoint lp : sip.provider().getListeningPoints()) {
                out.add(lp.getTransport().toLowerCase() + " " + SipHost.hostPort(lp.getIPAddress(), lp.getPort()));
            }
        }
        return out;
    }

    /**
     * Applies new settings. A change of address, port or transports rebinds the listening points
     * of the running stack (new ones first, so a refused bind keeps the old ones); registrations
     * live in the {@link SubscriberStore} and are untouched.
     *
     * @return false if the new listening points could not be opened (the old ones stay)
     */
    public synchronized boolean reconfigure(ServerSettings next) {
        applyProtection(settings, next);
        if (stack == null) {
            settings = next;
            return true;
        }
        TlsKeyStore.Readiness tls = tlsReadiness(next);
        if (tls.ready() && (stackTls == null || stackTls.tlsDiffers(next))) {
            // the RI reads its key material once, when the stack is created
            return restart(next);
        }
        ServerSettings effective = listenable(next, tls);
        if (effective == null) {
            LOG.warn("settings transports refused: TLS is the only transport and it is refused; keeping {}",
                    listening());
            return false;
        }
        ServerSettings prev = sip.settings();
        if (!prev.natKeepaliveInterval().equals(next.natKeepaliveInterval())) {
            scheduleKeepAlive(next);
        }
        if (!prev.listensDifferently(effective)) {
            settings = next;
            sip.settings(effective);
            registrar.nonces().lifetime(next.nonceLifetime());
            return true;
        }
        SipProvider provider = sip.provider();
        List<ListeningPoint> created = new ArrayList<>();
        try {
            for (Transport t : effective.transports()) {
                ListeningPoint old = provider.getListeningPoint(t.token());
                // the RI reports ::1 as 0:0:0:0:0:0:0:1: compared as one spelling, or the same socket is bound twice
                if (old != null && SipHost.canonical(old.getIPAddress()).equals(SipHost.canonical(effective.address()))
                        && old.getPort() == effective.portOf(t)) {
                    continue;
                }
                created.add(stack.createListeningPoint(bindAddress(effective.address()), effective.portOf(t), t.token()));
            }
        } catch (Exception e) {
            LOG.warn("settings address/port/transports refused: cannot listen on {} {} (TLS port {}): {}; "
                    + "keeping {}", SipHost.hostPort(effective.address(), effective.port()), effective.transports(),
                    effective.tlsPort(), e.toString(), listening());
            for (ListeningPoint lp : created) {
                deleteQuietly(lp);
            }
            return false;
        }
        for (Transport t : Transport.values()) {
            ListeningPoint old = provider.getListeningPoint(t.token());
            boolean replaced = created.stream().anyMatch(lp -> lp.getTransport().equalsIgnoreCase(t.token()));
            if (old != null && (replaced || !effective.transports().contains(t))) {
                try {
                    provider.removeListeningPoint(old);
                } catch (Exception e) {
                    LOG.warn("cannot detach {} listening point: {}", t, e.toString());
                }
                deleteQuietly(old);
            }
        }
        for (ListeningPoint lp : created) {
            try {
                provider.addListeningPoint(lp);
            } catch (Exception e) {
                LOG.error("cannot attach listening point {} {}: {}", SipHost.hostPort(lp.getIPAddress(), lp.getPort()),
                        lp.getTransport(), e.toString());
            }
        }
        settings = next;
        sip.settings(effective);
        registrar.nonces().lifetime(next.nonceLifetime());
        store.cluster().announce(clusterUri(next));
        LOG.info("SIP server now listening on {} ({} registrations kept)", listening(),
                store.locations().localRegistrations().size());
        return true;
    }

    /**
     * Where the other nodes of a cluster relay INVITEs to this one: the UDP listening address (the
     * advertised one if set). A wildcard bind address cannot be relayed to; the first transport's
     * address is announced as configured, and docs/operations.md "Several nodes" says to set a concrete one.
     */
    private static String clusterUri(ServerSettings s) {
        String host = s.advertisedAddress().isEmpty() ? s.address() : s.advertisedAddress();
        int port = s.advertisedPort() > 0 ? s.advertisedPort() : s.port();
        String transport = s.transports().contains(Transport.UDP) ? "" : ";transport=" + s.transports().iterator().next().token().toLowerCase(java.util.Locale.ROOT);
        return "sip:" + SipHost.hostPort(host, port) + transport;
    }

    /** The guard's limits are independent of the listening points: in force from the next request. */
    private void applyProtection(ServerSettings prev, ServerSettings next) {
        SourceGuard.Limits limits = guardLimits(next);
        if (!limits.equals(guardLimits(prev))) {
            LOG.info("SIP server protection now: {} requests/s per source{}, ban after {} digest failures within {} s "
                    + "for {} s{}", limits.requestsPerSecond(), limits.requestsPerSecond() == 0 ? " (no limit)" : "",
                    limits.banFailures(), limits.banWindow().toSeconds(), limits.banDuration().toSeconds(),
                    limits.banFailures() == 0 ? " (no bans)" : "");
        }
        guard.limits(limits);
    }

    /**
     * A new stack for new TLS key material: registrations and dialog stamps live in the
     * {@link SubscriberStore} and survive (established calls go on); INVITEs being set up are lost.
     * If the new stack cannot start, the previous settings are started again.
     */
    private boolean restart(ServerSettings next) {
        ServerSettings prev = settings;
        LOG.info("TLS key store or versions changed: restarting the SIP stack ({} registrations kept)",
                store.locations().localRegistrations().size());
        stop();
        settings = next;
        try {
            start();
            return true;
        } catch (Exception e) {
            LOG.warn("settings refused: the SIP stack does not start with them ({}); starting the previous ones",
                    e.toString());
            settings = prev;
            try {
                start();
            } catch (Exception again) {
                LOG.error("SIP server not restarted: {}", again.toString());
            }
            return false;
        }
    }

    private void deleteQuietly(ListeningPoint lp) {
        try {
            stack.deleteListeningPoint(lp);
        } catch (Exception e) {
            LOG.debug("cannot delete listening point: {}", e.toString());
        }
    }

    public synchronized void stop() {
        if (stack == null) {
            return;
        }
        try {
            invites.close();
        } catch (RuntimeException e) {
            LOG.warn("closing the proxy: {}", e.toString());
        }
        stopQuietly();
        LOG.info("SIP server stopped");
    }

    private void stopQuietly() {
        try {
            if (sip != null && sip.provider() != null) {
                SipProvider provider = sip.provider();
                provider.removeSipListener(this);
                for (ListeningPoint lp : provider.getListeningPoints()) {
                    try {
                        provider.removeListeningPoint(lp);
                    } catch (Exception e) {
                        LOG.debug("detach listening point: {}", e.toString());
                    }
                    deleteQuietly(lp);
                }
                stack.deleteSipProvider(provider);
            }
        } catch (Exception e) {
            LOG.debug("provider shutdown: {}", e.toString());
        }
        if (stack != null) {
            StatelessResponseValve.unregister(stack.getStackName());
            stack.stop();
        }
        stack = null;
        if (timers != null) {
            timers.shutdownNow();
        }
        endStackThreads(stackThreads);
    }

    /** Interrupts what the stopped stack left running in our thread group (its EventScannerThread). */
    static void endStackThreads(ThreadGroup group) {
        if (group == null) {
            return;
        }
        Thread[] threads = new Thread[group.activeCount() + 8];
        int n = group.enumerate(threads, true);
        for (int i = 0; i < n; i++) {
            if (threads[i].getName().startsWith("EventScannerThread")) {
                threads[i].interrupt();
            }
        }
    }

    // ---------------------------------------------------------------- SipListener

    private static String callId(javax.sip.message.Message m) {
        CallIdHeader h = (CallIdHeader) m.getHeader(CallIdHeader.NAME);
        return h == null ? "-" : h.getCallId();
    }

    @Override
    public void processRequest(RequestEvent ev) {
        Request req = ev.getRequest();
        String callId = callId(req);
        ServerTransaction st = ev.getServerTransaction();
        try {
            Optional<Received> received = receive(ev, req, callId);
            if (received.isEmpty()) {
                return;
            }
            st = received.get().transaction();
            dispatch(ev, req, callId, received.get());
        } catch (Exception | LinkageError e) {
            LOG.warn("[{}] {} failed: {}", callId, req.getMethod(), e.toString(), e);
            if (!Request.ACK.equals(req.getMethod())) {
                sip.respond(st, req, Response.SERVER_INTERNAL_ERROR, "Server error", callId);
            }
        }
    }

    /**
     * A request past the steps that come before any transaction: the source guard, the ACK (never
     * answered, routed on its own), the screen of malformed requests. {@code transaction} is null
     * when the request is relayed statelessly or the RI had no transaction to give.
     */
    private record Received(ServerTransaction transaction, String toTag, boolean stateless) {
    }

    /** The request as {@link #dispatch} takes it, or empty when it is already dealt with. */
    private Optional<Received> receive(RequestEvent ev, Request req, String callId) throws Exception {
        String method = req.getMethod();
        if (!admitted(ev, req, method, callId)) {
            return Optional.empty();
        }
        if (Request.ACK.equals(method)) {
            onAck(ev, req, callId);
            return Optional.empty();
        }
        ServerTransaction st = ev.getServerTransaction();
        Optional<RequestScreen.Refusal> refusal = RequestScreen.screen(req);
        if (refusal.isPresent()) {
            // answered before a server transaction exists: statelessly, as RFC 4475 §3.2 prefers for
            // malformed requests ("other requests from the source are likely to also have a malformed
            // branch parameter"), and without keeping state for a peer's garbage
            LOG.info("[{}] {} refused: {} {}", callId, method, refusal.get().status(), refusal.get().reason());
            sip.respond(st, req, refusal.get().status(), refusal.get().reason(), callId);
            return Optional.empty();
        }
        String toTag = ((ToHeader) req.getHeader(ToHeader.NAME)).getTag();
        boolean stateless = RequestRelay.relayedStatelessly(req, method, toTag);
        if (st == null && !stateless) {
            try {
                st = sip.provider().getNewServerTransaction(req);
            } catch (TransactionAlreadyExistsException e) {
                return Optional.empty(); // a retransmission the transaction layer has already seen
            } catch (TransactionUnavailableException e) {
                LOG.debug("[{}] no server transaction ({}): answering statelessly", callId, e.getMessage());
            }
        }
        return Optional.of(new Received(st, toTag, stateless));
    }

    private void dispatch(RequestEvent ev, Request req, String callId, Received received) throws Exception {
        ServerTransaction st = received.transaction();
        String method = req.getMethod();
        String toTag = received.toTag();
        boolean stateless = received.stateless();
        if (Request.INVITE.equals(method) && toTag == null) {
            // §16.2: a stateful proxy "MUST generate a 100 (Trying) response" for an INVITE
            sip.send(st, sip.response(req, Response.TRYING, null), callId);
        }
        URI uri = req.getRequestURI();
        if (!(uri instanceof SipURI ruri)
                || (((SipURI) uri).isSecure() && !sip.settings().transports().contains(Transport.TLS))) {
            // §16.3 step 2: "If the Request-URI has a URI whose scheme is not understood by the proxy, the proxy SHOULD reject the request with a 416"
            // (sips: is understood while TLS listens: §26.2.2, the proxy then forwards it over TLS)
            sip.respond(st, req, Response.UNSUPPORTED_URI_SCHEME, null, callId);
            return;
        }
        if (Request.CANCEL.equals(method)) {
            invites.onCancel(req, st, callId);
            return;
        }
        if (req.getHeader(ProxyRequireHeader.NAME) != null) {
            // §16.3 step 5: "If the request contains a Proxy-Require header field ... with one or more option-tags this element does not understand, the element MUST return a 420"
            Response r = sip.response(req, Response.BAD_EXTENSION, null);
            Iterator<?> it = req.getHeaders(ProxyRequireHeader.NAME);
            while (it.hasNext()) {
                r.addHeader(sip.headers().createUnsupportedHeader(((ProxyRequireHeader) it.next()).getOptionTag()));
            }
            sip.send(st, r, callId);
            return;
        }
        RequestRelay.RouteTop routes = RequestRelay.inspectRoutes(req, sip);
        boolean moreRoutes = routes.moreRoutes();
        boolean toUs = !moreRoutes && sip.isLocal(ruri) && ruri.getUser() == null;
        if (Request.REGISTER.equals(method) || toUs) {
            // §8.2.2.3 / §10.3 step 2: the registrar and the server answering for itself are UASs
            List<String> unsupported = RequestScreen.unsupportedRequire(req);
            if (!unsupported.isEmpty()) {
                LOG.info("[{}] {} refused: 420, Require {} not supported", callId, method, unsupported);
                Response r = sip.response(req, Response.BAD_EXTENSION, "Bad Extension");
                for (String tag : unsupported) {
                    r.addHeader(sip.headers().createUnsupportedHeader(tag));
                }
                sip.send(st, r, callId);
                return;
            }
        }
        if (Request.REGISTER.equals(method)) {
            registrar.register(req, st);
            return;
        }
        if (toUs) {
            answerForUs(req, st, method, toTag, callId);
            return;
        }
        MaxForwardsHeader mfh = (MaxForwardsHeader) req.getHeader(MaxForwardsHeader.NAME);
        Integer mf = mfh == null ? null : mfh.getMaxForwards();
        String loopHash = loopHash(req, callId);
        HopGuard.Verdict verdict = HopGuard.check(mf, vias(req), sip.ourSentBys(), loopHash);
        if (verdict != HopGuard.Verdict.FORWARD) {
            LOG.info("[{}] {} refused: {} {}", callId, method, verdict.status(), verdict.reason());
            sip.respond(st, req, verdict.status(), verdict.reason(), callId);
            return;
        }
        if (toTag != null) {
            inDialog(req, st, stateless, ruri, routes, mf, loopHash, callId);
            return;
        }
        if (!sip.isLocal(ruri) || ruri.getUser() == null) {
            LOG.info("[{}] {} to {} refused: not a user of this domain", callId, method, ruri);
            sip.respond(st, req, Response.FORBIDDEN, "Not a user of this domain", callId);
            return;
        }
        if (Request.INVITE.equals(method)) {
            long receivedNanos = System.nanoTime();
            Optional<CallerAdmission.Caller> caller = admission.admitInvite(req, st, callId, trustedPeer(ev, req),
                    clusterNode(ev, req), () -> invites.challenged(callId, receivedNanos));
            if (caller.isPresent()) {
                invites.onInvite(req, st, callId, loopHash, mf, caller.get());
            }
            return;
        }
        // an out-of-dialog request to a user (OPTIONS, MESSAGE, SUBSCRIBE, NOTIFY, REFER, ...): admitted as
        // an INVITE's caller is (an ACK never comes here: receive() hands every ACK to onAck)
        Optional<TrustedPeer> peer = trustedPeer(ev, req);
        if (!admission.admitRequest(req, st, callId, peer)) {
            return;
        }
        Optional<Registration.Binding> target = targets.bindingOrAnswer(req, st, ruri, callId);
        if (target.isPresent()) {
            relay.forward(req, st, target.get(), mf, loopHash, callId, admission.consumedRealm(peer.isEmpty()));
        }
    }

    /**
     * The source guard's verdict, before any transaction exists. A banned source's request is
     * dropped without a word (it learns nothing, and costs no answer); over the rate, a request gets
     * a stateless 503 with Retry-After, RFC 3261 §21.5.4: "The server is temporarily unable to
     * process the request due to a temporary overloading or maintenance of the server. The server
     * MAY indicate when the client should retry the request in a Retry-After header field." An ACK
     * cannot be answered (§17.1.1.3) and is dropped.
     */
    private boolean admitted(RequestEvent ev, Request req, String method, String callId) throws Exception {
        String source = packetSource(ev, req, callId);
        if (store.cluster().current().map(c -> c.isNode(source, -1, false)).orElse(false)) {
            return true; // another node relays its users' INVITEs: its rate is theirs, not one source's
        }
        SourceGuard.Verdict verdict = guard.admit(source);
        if (verdict == SourceGuard.Verdict.ADMIT) {
            return true;
        }
        if (verdict == SourceGuard.Verdict.BANNED) {
            return false; // logged once, at the ban; never per packet
        }
        if (verdict == SourceGuard.Verdict.OVER_RATE_FIRST) {
            LOG.info("[{}] source {} sends more than {} requests/s: the excess is answered 503 (ACKs dropped); "
                    + "logged at most once a minute per source", callId, source, guard.limits().requestsPerSecond());
        }
        if (!Request.ACK.equals(method)) {
            Response r = sip.response(req, Response.SERVICE_UNAVAILABLE, "Too many requests from your address");
            // the bucket refills fully within a second
            r.setHeader(sip.headers().createRetryAfterHeader(RETRY_AFTER_SECONDS));
            sip.send(null, r, callId);
        }
        return false;
    }

    /** Seconds a client refused for the rate is told to wait (Retry-After). */
    static final int RETRY_AFTER_SECONDS = 1;

    /**
     * The source address of a request (see {@link SipContext#sourceOf}). When the RI's event tells
     * the packet's source (its {@code gov.nist.javax.sip.RequestEventExt}, the one RI type used here:
     * the javax.sip API has no packet source) and the Via says otherwise, the peer wrote a
     * {@code received} of its own (the RI keeps it when the Via host is the peer's address and there is
     * no {@code rport}): left alone, any peer could pick the address it is counted, limited and banned
     * as, and have another one banned. The Via's {@code received} is then set to the packet's source
     * (RFC 3261 §18.2.1: it "MUST contain the source address from which the packet was received"),
     * so the registrar and the proxy count digest failures against the same address.
     */
    private static String packetSource(RequestEvent ev, Request req, String callId) throws java.text.ParseException {
        String claimed = SipContext.sourceOf(req);
        if (!(ev instanceof gov.nist.javax.sip.RequestEventExt ext) || ext.getRemoteIpAddress() == null) {
            return claimed;
        }
        String packet = ext.getRemoteIpAddress().toLowerCase(java.util.Locale.ROOT);
        if (!packet.equals(claimed)) {
            ViaHeader via = (ViaHeader) req.getHeader(ViaHeader.NAME);
            if (via != null) {
                LOG.debug("[{}] top Via received={} replaced by the packet's source {}", callId, via.getReceived(), packet);
                via.setReceived(packet);
            }
        }
        return packet;
    }

    /**
     * The trusted peer a request came from (Kamailio {@code allow_source_address}): its packet's
     * source address, and for UDP its source port, as the peer's settings name them.
     */
    private Optional<TrustedPeer> trustedPeer(RequestEvent ev, Request req) {
        List<TrustedPeer> peers = settings.peers();
        if (peers.isEmpty()) {
            return Optional.empty();
        }
        ViaHeader via = (ViaHeader) req.getHeader(ViaHeader.NAME);
        boolean udp = via == null || "UDP".equalsIgnoreCase(via.getTransport());
        return settings.peerAt(SipContext.sourceOf(req), sourcePort(ev, req), udp);
    }

    /**
     * The cluster node a request came from (its packet's source is a live node's announced
     * address, for UDP its port too): the name of the node, or empty.
     */
    private Optional<String> clusterNode(RequestEvent ev, Request req) {
        Optional<io.glareresolver.sip.api.ServerCluster> c = store.cluster().current();
        if (c.isEmpty()) {
            return Optional.empty();
        }
        ViaHeader via = (ViaHeader) req.getHeader(ViaHeader.NAME);
        boolean udp = via == null || "UDP".equalsIgnoreCase(via.getTransport());
        String host = SipContext.sourceOf(req);
        int port = sourcePort(ev, req);
        return c.get().isNode(host, port, udp) ? Optional.of(host + ":" + port) : Optional.empty();
    }

    /** The packet's source port: the RI's event tells it; else the Via's rport or port. */
    private static int sourcePort(RequestEvent ev, Request req) {
        ViaHeader via = (ViaHeader) req.getHeader(ViaHeader.NAME);
        if (ev instanceof gov.nist.javax.sip.RequestEventExt ext && ext.getRemotePort() > 0) {
            return ext.getRemotePort(); // the packet's own source port (see packetSource)
        } else if (via != null && via.getRPort() > 0) {
            return via.getRPort();
        }
        return via == null || via.getPort() <= 0 ? SipConstants.DEFAULT_SIP_PORT : via.getPort();
    }

    /** A wrong digest answer or an unknown user from {@code source}: counted; the failure that reaches the limit bans. */
    private void digestFailed(String source) {
        guard.digestFailed(source).ifPresent(ban -> LOG.warn("source {} banned for {} s after {} digest failures "
                + "within {} s: its requests are dropped without an answer until {}", ban.source(),
                ban.duration().toSeconds(), ban.failures(), guard.limits().banWindow().toSeconds(), ban.until()));
    }


    /**
     * An in-dialog request (To tag): relayed only within a dialog this proxy record-routed, which
     * the request proves with the stamp our Record-Route gave the dialog (RFC 3261 §16.6 step 4
     * lets a proxy keep "state in the message rather than the proxy"): one of our popped Route
     * entries must carry the {@link io.glareresolver.sip.impl.proxy.DialogStamp} of its Call-ID and
     * tags. Anything else (no Route of ours, a Request-URI naming a user without a Route, an entry
     * without a stamp or with another dialog's) gets 403 and reaches nobody: without this anyone
     * could send a BYE or re-INVITE with a made-up Call-ID to a registered phone, or use the proxy as
     * an open relay. With {@code stateless} (a non-INVITE over UDP, {@link RequestRelay#relayedStatelessly})
     * there is no server transaction: refusals are answered statelessly and the request is relayed
     * without a transaction (§16.11).
     */
    private void inDialog(Request req, ServerTransaction st, boolean stateless, SipURI ruri,
                          RequestRelay.RouteTop routes, Integer mf, String loopHash, String callId) throws Exception {
        if (!throughUs(req, routes, callId)) {
            LOG.info("[{}] in-dialog {} to {} refused: 403, dialog not routed through this proxy ({})", callId,
                    req.getMethod(), ruri, whyNotOurs(routes));
            sip.respond(st, req, Response.FORBIDDEN, NOT_OUR_DIALOG, callId);
            return;
        }
        Registration.Binding target;
        if (routes.moreRoutes() || !sip.isLocal(ruri)) {
            target = routes.moreRoutes() ? null : targets.routed(ruri);
        } else if (ruri.getUser() != null) {
            Optional<Registration.Binding> found = targets.bindingOrAnswer(req, st, ruri, callId);
            if (found.isEmpty()) {
                return;
            }
            target = found.get();
        } else {
            // not reached: a local Request-URI without a user and no Route left is answered for us
            sip.respond(st, req, Response.FORBIDDEN, NOT_OUR_DIALOG, callId);
            return;
        }
        if (stateless) {
            relay.forwardStatelessly(req, target, mf, loopHash, callId);
        } else {
            relay.forward(req, st, target, mf, loopHash, callId);
        }
    }

    static final String NOT_OUR_DIALOG = "Dialog not routed through this proxy";

    /** One of our popped Route entries carries the stamp of the request's dialog. */
    private boolean throughUs(Request req, RequestRelay.RouteTop routes, String callId) {
        if (!routes.poppedOurs() || routes.dialogStamps().isEmpty()) {
            return false;
        }
        FromHeader from = (FromHeader) req.getHeader(FromHeader.NAME);
        ToHeader to = (ToHeader) req.getHeader(ToHeader.NAME);
        return routes.stampedFor(store.dialogStamp(), callId, from.getTag(), to.getTag());
    }

    /** For the log: what the request lacked (never the stamp's value). */
    private static String whyNotOurs(RequestRelay.RouteTop routes) {
        if (!routes.poppedOurs()) {
            return "no Route of ours";
        }
        return routes.dialogStamps().isEmpty() ? "our Route carries no dialog stamp"
                : "the dialog stamp does not match its Call-ID and tags";
    }

    private void answerForUs(Request req, ServerTransaction st, String method, String toTag, String callId)
            throws Exception {
        if (Request.OPTIONS.equals(method)) {
            Response r = sip.response(req, Response.OK, null);
            r.addHeader(sip.headers().createAllowHeader(SipConstants.ALLOW));
            r.addHeader(sip.headers().createAcceptHeader("application", "sdp"));
            sip.send(st, r, callId);
        } else if (toTag != null) {
            sip.respond(st, req, Response.CALL_OR_TRANSACTION_DOES_NOT_EXIST, null, callId);
        } else {
            Response r = sip.response(req, Response.METHOD_NOT_ALLOWED, "Not allowed on the server itself");
            r.addHeader(sip.headers().createAllowHeader("OPTIONS, REGISTER"));
            sip.send(st, r, callId);
        }
    }

    private void onAck(RequestEvent ev, Request req, String callId) throws Exception {
        if (ev.getServerTransaction() != null) {
            invites.onNon2xxAck(ev.getServerTransaction()); // hop by hop: absorbed here
            return;
        }
        URI uri = req.getRequestURI();
        if (!(uri instanceof SipURI ruri)) {
            return;
        }
        RequestRelay.RouteTop routes = RequestRelay.inspectRoutes(req, sip);
        boolean moreRoutes = routes.moreRoutes();
        MaxForwardsHeader mfh = (MaxForwardsHeader) req.getHeader(MaxForwardsHeader.NAME);
        Integer mf = mfh == null ? null : mfh.getMaxForwards();
        String loopHash = loopHash(req, callId);
        if (HopGuard.check(mf, vias(req), sip.ourSentBys(), loopHash) != HopGuard.Verdict.FORWARD) {
            LOG.info("[{}] ACK dropped: too many hops or a loop", callId);
            return;
        }
        if (!throughUs(req, routes, callId)) {
            // an ACK is never answered (§17.1.1.3): dropped, and said so
            LOG.info("[{}] ACK to {} dropped: dialog not routed through this proxy ({})", callId, ruri,
                    whyNotOurs(routes));
            return;
        }
        if (moreRoutes || !sip.isLocal(ruri)) {
            relay.forwardAck(req, moreRoutes ? null : targets.routed(ruri), mf, loopHash, callId);
        } else if (ruri.getUser() != null) {
            Optional<Registration> reg = targets.registration(ruri.getUser());
            if (reg.isEmpty()) {
                LOG.info("[{}] ACK to {} dropped: not registered", callId, ruri);
                return;
            }
            relay.forwardAck(req, TargetLookup.latest(reg.get()), mf, loopHash, callId);
        } else {
            LOG.debug("[{}] ACK for the server itself dropped", callId);
            return;
        }
        // §13.2.2.4: the ACK of a 2xx is end to end; interceptors that followed the INVITE hear of it
        FromHeader from = (FromHeader) req.getHeader(FromHeader.NAME);
        CSeqHeader cseq = (CSeqHeader) req.getHeader(CSeqHeader.NAME);
        invites.onAckOf2xx(callId, from.getTag(), cseq.getSeqNumber());
    }

    private static String loopHash(Request req, String callId) {
        FromHeader from = (FromHeader) req.getHeader(FromHeader.NAME);
        ToHeader to = (ToHeader) req.getHeader(ToHeader.NAME);
        CSeqHeader cseq = (CSeqHeader) req.getHeader(CSeqHeader.NAME);
        return HopGuard.loopHash(req.getRequestURI().toString(), from.getTag(), to.getTag(), callId, cseq.getSeqNumber());
    }

    private static List<HopGuard.Hop> vias(Request req) {
        List<HopGuard.Hop> hops = new ArrayList<>();
        Iterator<?> it = req.getHeaders(ViaHeader.NAME);
        while (it.hasNext()) {
            ViaHeader v = (ViaHeader) it.next();
            hops.add(new HopGuard.Hop(SipContext.sentBy(v), v.getBranch()));
        }
        return hops;
    }

    @Override
    public void processResponse(ResponseEvent ev) {
        Response resp = ev.getResponse();
        String callId = callId(resp);
        try {
            if (ev.getClientTransaction() != null
                    && ev.getClientTransaction().getApplicationData() instanceof NatKeepAlive.Probe probe) {
                if (resp.getStatusCode() >= 200) {
                    keepAlive.answered(probe);
                }
                return;
            }
            responses.onResponse(ev.getClientTransaction(), resp, callId);
        } catch (Exception | LinkageError e) {
            LOG.warn("[{}] response {} failed: {}", callId, resp.getStatusCode(), e.toString(), e);
        }
    }

    @Override
    public void processTimeout(TimeoutEvent ev) {
        try {
            if (ev.isServerTransaction()) {
                invites.onServerTransactionEnd(ev.getServerTransaction());
            } else if (ev.getClientTransaction() != null
                    && ev.getClientTransaction().getApplicationData() instanceof NatKeepAlive.Probe probe) {
                keepAlive.timedOut(probe);
            } else if (ev.getClientTransaction() != null) {
                responses.onTimeout(ev.getClientTransaction());
            }
        } catch (Exception | LinkageError e) {
            LOG.warn("timeout handling failed: {}", e.toString(), e);
        }
    }

    @Override
    public void processIOException(IOExceptionEvent ev) {
        LOG.info("I/O error towards {} over {}", SipHost.hostPort(ev.getHost(), ev.getPort()), ev.getTransport());
    }

    @Override
    public void processTransactionTerminated(TransactionTerminatedEvent ev) {
        try {
            if (ev.isServerTransaction()) {
                invites.onServerTransactionEnd(ev.getServerTransaction());
            }
        } catch (Exception | LinkageError e) {
            LOG.warn("transaction end handling failed: {}", e.toString(), e);
        }
    }

    @Override
    public void processDialogTerminated(DialogTerminatedEvent ev) {
        // no dialogs: AUTOMATIC_DIALOG_SUPPORT is off
    }

    /** Nonce-counts the digest check remembers (bounded; tests of floods read it). */
    int noncesRemembered() {
        return registrar == null ? 0 : registrar.nonces().remembered();
    }

    /** INVITEs in progress (tests, metrics). */
    public int invitesInProgress() {
        return invites == null ? 0 : invites.inProgress();
    }
}
