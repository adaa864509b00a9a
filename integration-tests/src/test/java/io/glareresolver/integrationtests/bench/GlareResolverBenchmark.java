package io.glareresolver.integrationtests.bench;

import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import io.glareresolver.glare.impl.config.GlareSettings;
import io.glareresolver.glare.impl.resolve.GlareResolver;
import io.glareresolver.sip.api.BranchResponse;
import io.glareresolver.sip.api.InitialInvite;
import io.glareresolver.sip.api.InviteAction;
import io.glareresolver.sip.api.InviteEnd;
import io.glareresolver.sip.api.Registration;

/**
 * JMH of the glare plugin as the proxy drives it ({@link GlareResolver}, plain Java behind the SPI),
 * warm: the whole life of one crossing of two glare-aware endpoints (both INVITEs, the decision, the
 * lower side's 491 rewritten with {@code accept-peer}, the higher side's 200 relayed, its ACK, both
 * ends), and of one ordinary INVITE (the plugin's cost on every call, which decides the plugin-on /
 * plugin-off throughput ratio). The INVITEs are immutable snapshots as the proxy hands them over.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class GlareResolverBenchmark {

    private static final String SDP_L = "v=0\r\no=l 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
            + "m=audio 40000 RTP/AVP 0\r\n";
    private static final String SDP_H = SDP_L.replace("40000", "40002");

    private ScheduledExecutorService timers;
    private GlareResolver resolver;
    private Registration lower;
    private Registration higher;
    private long n;

    @Setup
    public void setUp() {
        timers = Executors.newSingleThreadScheduledExecutor();
        resolver = new GlareResolver(GlareSettings.DEFAULTS, timers, Clock.systemUTC());
        lower = registration("lena@127.0.0.1", 1001);
        higher = registration("hugo@127.0.0.1", 1002);
        // the figure must be of a crossing the plugin resolves, not of two INVITEs it let pass
        crossing();
        if (resolver.counters().resolved() != 1 || resolver.counters().sessionsEstablished() != 1) {
            throw new IllegalStateException("the benchmark's crossing was not resolved as one session: " + resolver.counters());
        }
    }

    @TearDown
    public void tearDown() {
        timers.shutdownNow();
    }

    /** One crossing, start to end: L's INVITE, then H's (the decision), the final responses, the ACK, both ends. */
    @Benchmark
    public Object crossing() {
        long i = n++;
        Invite l = new Invite("l-" + i, lower, higher, "1001;kind=id", SDP_L);
        Invite h = new Invite("h-" + i, higher, lower, "1002;kind=id", SDP_H);
        resolver.onInitialInvite(l);
        InviteAction decided = resolver.onInitialInvite(h);
        resolver.onFinalResponse(h, new Answer(491, "Request Pending", null));
        resolver.onFinalResponse(l, new Answer(200, "OK", SDP_H));
        resolver.onAck(l);
        resolver.onEnd(h, InviteEnd.REJECTED);
        resolver.onEnd(l, InviteEnd.ANSWERED);
        return decided;
    }

    /** One INVITE that crosses nothing: forwarded, answered 200, ACKed, ended. */
    @Benchmark
    public Object ordinaryCall() {
        Invite l = new Invite("c-" + n++, lower, higher, null, SDP_L);
        InviteAction a = resolver.onInitialInvite(l);
        resolver.onFinalResponse(l, new Answer(200, "OK", SDP_H));
        resolver.onAck(l);
        resolver.onEnd(l, InviteEnd.ANSWERED);
        return a;
    }

    private static Registration registration(String aor, long id) {
        return new Registration(aor, id, List.of(new Registration.Binding("sip:" + aor + ":5070",
                Instant.now().plusSeconds(3600), Set.of("glare"), "reg-" + id, 1)));
    }

    /** An INVITE as the proxy snapshots it; identity is the plugin's key, as for the proxy's own objects. */
    private static final class Invite implements InitialInvite {
        private final String callId;
        private final Registration from;
        private final Registration to;
        private final Map<String, List<String>> headers;
        private final String sdp;
        private final long received = System.nanoTime();

        Invite(String callId, Registration from, Registration to, String tiebreak, String sdp) {
            this.callId = callId;
            this.from = from;
            this.to = to;
            this.headers = tiebreak == null ? Map.of("supported", List.of("glare"))
                    : Map.of("supported", List.of("glare"), "glare-tiebreak", List.of(tiebreak));
            this.sdp = sdp;
        }

        @Override public String id() { return callId; }
        @Override public String callId() { return callId; }
        @Override public String fromAor() { return from.aor(); }
        @Override public String toAor() { return to.aor(); }
        @Override public Optional<Registration> caller() { return Optional.of(from); }
        @Override public Optional<Registration> callee() { return Optional.of(to); }
        @Override public Optional<String> header(String name) { return headers(name).stream().findFirst(); }
        @Override public List<String> headers(String name) { return headers.getOrDefault(name.toLowerCase(java.util.Locale.ROOT), List.of()); }
        @Override public Optional<String> body() { return Optional.of(sdp); }
        @Override public Optional<String> contentType() { return Optional.of("application/sdp"); }
        @Override public long receivedNanos() { return received; }
        @Override public boolean release(InviteAction action) { return true; }
        @Override public boolean cancelBranch() { return true; }
    }

    private record Answer(int status, String reason, String sdp) implements BranchResponse {
        @Override public Optional<String> header(String name) { return Optional.empty(); }
        @Override public List<String> headers(String name) { return List.of(); }
        @Override public Optional<String> body() { return Optional.ofNullable(sdp); }
    }
}
