package io.glareresolver.glare.impl.resolve;

import io.glareresolver.glare.api.CrossingCounters;
import io.glareresolver.glare.api.CrossingOutcome;
import io.glareresolver.glare.api.CrossingRecord;
import io.glareresolver.glare.api.DecisionTime;
import io.glareresolver.glare.api.GlareStatus;
import io.glareresolver.glare.impl.config.GlareSettings;
import io.glareresolver.glare.impl.crossing.CallLeg;
import io.glareresolver.glare.impl.crossing.CrossingParty;
import io.glareresolver.glare.impl.crossing.CrossingPlan;
import io.glareresolver.glare.impl.crossing.CrossingResolver;
import io.glareresolver.glare.impl.crossing.FirstInviteAction;
import io.glareresolver.glare.impl.crossing.PendingInvites;
import io.glareresolver.glare.impl.crossing.SdpMediaPort;
import io.glareresolver.glare.impl.resolve.MessageTrail.Hop;
import io.glareresolver.glare.impl.stats.CrossingStatistics;
import io.glareresolver.glare.impl.stats.ThreadCpuClock;
import io.glareresolver.protocol.GlareHeaders;
import io.glareresolver.protocol.GlareResolution;
import io.glareresolver.protocol.ParseResult;
import io.glareresolver.protocol.TiebreakValue;
import io.glareresolver.sip.api.BranchResponse;
import io.glareresolver.sip.api.HeaderEdits;
import io.glareresolver.sip.api.InitialInvite;
import io.glareresolver.sip.api.InviteAction;
import io.glareresolver.sip.api.InviteEnd;
import io.glareresolver.sip.api.InviteInterceptor;
import io.glareresolver.sip.api.Registration;
import io.glareresolver.sip.api.RegistrationInterceptor;
import io.glareresolver.sip.api.ResponseAction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * DESIGN §4 on the sip-server interceptor SPI: follows every initial INVITE between registered
 * endpoints, detects the crossing at the second INVITE, decides once with
 * {@link CrossingResolver}, and instructs (or acts for) both sides.
 *
 * <p>Plain Java: no OSGi type, so it can be driven by the DS component or by any host of the SPI.
 */
public final class GlareResolver implements InviteInterceptor, RegistrationInterceptor, GlareStatus {

    private static final Logger LOG = LoggerFactory.getLogger(GlareResolver.class);
    private static final String NG_REASON = GlareHeaders.NG_REASON;

    private final ScheduledExecutorService timers;
    private final Clock clock;
    private final CrossingStatistics statistics;
    private final Map<InitialInvite, TrackedInvite> tracked = new ConcurrentHashMap<>();
    /**
     * Answered INVITEs of crossings whose end-to-end ACK is still to come (the ladder's last
     * arrow). Bounded: the proxy reports an ACK only within 64*T1 = 32 s, after which
     * {@link #expireStale()} drops the entry, and no more than {@link #ACKS_AWAITED_MAXIMUM} wait.
     */
    private final Map<InitialInvite, AwaitedAck> acksAwaited = new ConcurrentHashMap<>();
    static final int ACKS_AWAITED_MAXIMUM = 4096;
    private static final long ACK_WAIT_NANOS = TimeUnit.SECONDS.toNanos(32);

    private record AwaitedAck(TrackedInvite invite, long sinceNanos) {
    }
    private volatile GlareSettings settings;
    private volatile PendingInvites<TrackedInvite> pending;

    public GlareResolver(GlareSettings settings, ScheduledExecutorService timers, Clock clock) {
        this.settings = settings;
        this.timers = timers;
        this.clock = clock;
        this.statistics = new CrossingStatistics(settings.recentSize());
        this.pending = new PendingInvites<>(settings.pendingMaximum());
    }

    /** Applies new settings at once; disabling takes the plugin out of the path and lets go of every pending INVITE. */
    public void update(GlareSettings next) {
        GlareSettings previous = this.settings;
        this.settings = next;
        statistics.recentMaximum(next.recentSize());
        if (next.pendingMaximum() != previous.pendingMaximum()) {
            PendingInvites<TrackedInvite> table = new PendingInvites<>(next.pendingMaximum());
            letGo("pending.maximum changed");
            this.pending = table;
        }
        if (previous.enabled() && !next.enabled()) {
            letGo("plugin disabled");
        }
        LOG.info("glare settings: enabled={}, tiebreak.source={}, glare.ng-timeout={} ms, pending.maximum={}, pending.timeout={} ms",
                next.enabled(), next.source().token(), next.ngTimeoutMillis(), next.pendingMaximum(), next.pendingTimeoutMillis());
    }

    /**
     * Stops following every INVITE: held INVITEs are forwarded as plain calls, crossings in
     * progress are counted as aborted. Calls already set up are not touched.
     */
    public void letGo(String why) {
        List<TrackedInvite> all = pending.clear();
        for (TrackedInvite t : tracked.values()) {
            if (!all.contains(t)) {
                all.add(t);
            }
        }
        tracked.clear();
        acksAwaited.clear();
        for (TrackedInvite t : all) {
            Crossing c = t.crossing;
            if (c == null) {
                continue;
            }
            boolean release;
            boolean record;
            synchronized (c) {
                release = c.lowerWaitsForHigher && !c.lowerReleased && t == c.lower();
                if (release) {
                    c.lowerReleased = true;
                }
                record = !c.recorded;
                c.recorded = true;
            }
            if (release) {
                t.invite.release(forwarded(t, t.baseEdits, "delivered: plugin let go"));
            }
            if (record) {
                CrossingRecord r;
                synchronized (c) {
                    r = c.recordNow(CrossingOutcome.ABORTED);
                }
                statistics.crossingEnded(r);
            }
        }
        if (!all.isEmpty()) {
            LOG.info("glare: let go of {} pending INVITEs ({})", all.size(), why);
        }
    }

    // ---------------------------------------------------------------- RegistrationInterceptor

    /**
     * DESIGN §3 "Capability": "The server's 200 OK to such a REGISTER carries
     * {@code Glare-Tiebreak: <value>;kind=id}: the value the server will use for this endpoint."
     * Only while enabled, and only for a REGISTER that carried {@code Supported: glare}.
     */
    @Override
    public HeaderEdits onRegistered(Registration registration, Set<String> supported) {
        if (!settings.enabled() || !supported.contains(GlareHeaders.OPTION_TAG)) {
            return HeaderEdits.none();
        }
        return HeaderEdits.builder()
                .set(GlareHeaders.TIEBREAK, TiebreakValue.id(registration.endpointId()).format())
                .build();
    }

    // ---------------------------------------------------------------- InviteInterceptor

    @Override
    public InviteAction onInitialInvite(InitialInvite invite) {
        long entered = System.nanoTime();
        GlareSettings s = settings;
        if (!s.enabled()) {
            return InviteAction.forward();
        }
        CallLeg leg = new CallLeg(invite.fromAor(), invite.toAor());
        // The thread's CPU clock is a system call (JMH: reading it on every INVITE took the plugin's cost
        // for an ordinary call from 1.3 to 3.3 us here): read it only for an INVITE that can cross, one
        // whose reverse leg is pending now.
        long enteredCpu = pending.isPending(leg.reverse()) ? ThreadCpuClock.now() : -1;
        List<String> values = invite.headers(GlareHeaders.TIEBREAK);
        Optional<TiebreakValue> offered = Optional.empty();
        if (!values.isEmpty()) {
            ParseResult<TiebreakValue> parsed = values.size() == 1
                    ? TiebreakValue.parse(values.get(0))
                    : null;
            if (parsed == null || !parsed.isValid()) {
                String reason = parsed == null ? "more than one value" : parsed.reason().orElse("malformed");
                statistics.malformedRefused();
                LOG.info("[{}] INVITE {} -> {} refused: malformed {} ({})", invite.callId(), invite.fromAor(),
                        invite.toAor(), GlareHeaders.TIEBREAK, reason);
                return InviteAction.answer(400, "Bad " + GlareHeaders.TIEBREAK + ": " + reason);
            }
            offered = Optional.of(parsed.value());
        }
        CrossingParty party = new CrossingParty(leg, invite.callId(), offered,
                invite.caller().map(r -> OptionalLong.of(r.endpointId())).orElse(OptionalLong.empty()),
                glareAware(invite), SdpMediaPort.of(invite.body().orElse(null)));

        // A caller never instructs the callee: only the server writes Glare-Resolution.
        HeaderEdits.Builder edits = HeaderEdits.builder().remove(GlareHeaders.RESOLUTION);
        party.stamp(s.source()).ifPresent(t -> edits.set(GlareHeaders.TIEBREAK, t.format()));
        HeaderEdits base = edits.build();

        TrackedInvite me = new TrackedInvite(invite, party, base, System.nanoTime());
        me.trail.add(Hop.CALLER_TO_SERVER, "INVITE", MessageTrail.glareHeaders(invite::headers), "");
        PendingInvites.Arrival<TrackedInvite> arrival = pending.arrive(party.leg(), me);
        if (arrival instanceof PendingInvites.Arrival.Untracked<TrackedInvite> u) {
            statistics.untracked();
            LOG.info("[{}] INVITE {} not followed for glare: {}", invite.callId(), party.leg(), u.reason());
            return InviteAction.forward(base);
        }
        tracked.put(invite, me);
        if (arrival instanceof PendingInvites.Arrival.Crossed<TrackedInvite> crossed) {
            InviteAction decided = onCrossing(crossed.first(), me, s);
            long cpuNow = enteredCpu < 0 ? -1 : ThreadCpuClock.now();
            statistics.decisionTime(System.nanoTime() - entered, cpuNow < 0 ? -1 : cpuNow - enteredCpu);
            return decided;
        }
        return forwarded(me, base, "forwarded");
    }

    private InviteAction onCrossing(TrackedInvite first, TrackedInvite second, GlareSettings s) {
        CrossingPlan plan = CrossingResolver.plan(first.party, second.party, s.source());
        Crossing c = new Crossing(plan, s.source(), first, second, clock.instant());
        first.crossing = c;
        second.crossing = c;
        statistics.crossingDetected(plan.resolved());
        String callId = second.party.callId();
        if (!plan.resolved()) {
            LOG.info("[{}] crossing {} / {} cannot be ordered ({}): left to plain RFC 3261", callId,
                    first.party.leg(), second.party.leg(), plan.comparison());
            return forwarded(second, second.baseEdits, "forwarded: not ordered");
        }
        TrackedInvite lower = c.lower();
        TrackedInvite higher = c.higher();
        LOG.info("[{}] crossing detected: {} (L, {}) and {} (H, {}), {} ({}): second INVITE {}, first INVITE {}",
                callId, lower.party.aor(), lower.party.callId(), higher.party.aor(), higher.party.callId(),
                plan.comparison(), plan.basis(), plan.secondAction(), plan.firstAction());

        if (plan.firstAction() == FirstInviteAction.NG_WITH_ACCEPT_PEER) {
            // DESIGN §3: the lower side's copy of H's INVITE, if not answered within glare.ng-timeout, is CANCELled.
            timers.schedule(() -> ngTimeout(c), s.ngTimeoutMillis(), TimeUnit.MILLISECONDS);
        }
        HeaderEdits acceptPeer = acceptPeer(lower);
        return switch (plan.secondAction()) {
            case FORWARD_WITH_REJECT -> forwarded(second, with(second.baseEdits, GlareResolution.reject().format()),
                    "forwarded with reject");
            case ANSWER_NG -> {
                markFinal(c, second, 491, false);
                pending.remove(second.party.leg(), second); // answered here: no longer pending
                second.trail.add(Hop.SERVER_TO_CALLER, "491 " + NG_REASON,
                        MessageTrail.afterEdits(Map.of(), acceptPeer), "answered here for plain L");
                yield InviteAction.answer(491, NG_REASON, acceptPeer);
            }
            case FORWARD_WITH_ACCEPT -> forwarded(second, with(second.baseEdits, GlareResolution.accept().format()),
                    "forwarded with accept");
            case HOLD_UNTIL_HIGHER_ENDS -> {
                synchronized (c) {
                    c.lowerWaitsForHigher = true;
                }
                yield InviteAction.hold();
            }
            case FORWARD_UNRESOLVED -> forwarded(second, second.baseEdits, "forwarded");
        };
    }

    private void ngTimeout(Crossing c) {
        TrackedInvite h = c.higher();
        boolean answered;
        synchronized (c) {
            answered = h.finalStatus != 0 || h.ended;
        }
        if (!answered && tracked.containsKey(h.invite) && h.invite.cancelBranch()) {
            h.trail.add(Hop.SERVER_TO_CALLEE, "CANCEL", Map.of(), "glare.ng-timeout");
            LOG.info("[{}] lower side {} did not answer the higher side's INVITE within glare.ng-timeout: CANCEL sent",
                    h.party.callId(), c.lower().party.aor());
        }
    }

    @Override
    public ResponseAction onFinalResponse(InitialInvite invite, BranchResponse response) {
        TrackedInvite t = tracked.get(invite);
        if (t != null) {
            t.trail.add(Hop.CALLEE_TO_SERVER, response.status() + " " + response.reason(),
                    MessageTrail.glareHeaders(response::headers), "");
        }
        ResponseAction action = responseAction(invite, response, t);
        if (t != null && response.isSuccess() && t.crossing != null && acksAwaited.size() < ACKS_AWAITED_MAXIMUM) {
            // wait for its end-to-end ACK from now: the ACK can reach the proxy before the proxy reports
            // the INVITE's end (onEnd comes from another thread), never before this 2xx is relayed
            acksAwaited.put(invite, new AwaitedAck(t, System.nanoTime()));
        }
        if (t != null && action.kind() == ResponseAction.Kind.RELAY) {
            // its final response is on its way: the INVITE can no longer cross another one, so a redial
            // on the same leg before this one's ACK is followed again (not "already pending")
            pending.remove(t.party.leg(), t);
        }
        if (t != null) {
            Map<String, String> received = MessageTrail.glareHeaders(response::headers);
            if (action.kind() == ResponseAction.Kind.RELAY && action.status() == 0) {
                t.trail.add(Hop.SERVER_TO_CALLER, response.status() + " " + response.reason(),
                        MessageTrail.afterEdits(received, action.edits()), "relayed");
            } else if (action.kind() == ResponseAction.Kind.RELAY) {
                t.trail.add(Hop.SERVER_TO_CALLER, action.status() + " " + action.reason(),
                        MessageTrail.afterEdits(received, action.edits()), "rewritten from " + response.status());
            }
        }
        return action;
    }

    private ResponseAction responseAction(InitialInvite invite, BranchResponse response, TrackedInvite t) {
        Crossing c = t == null ? null : t.crossing;
        if (c == null || !c.resolved()) {
            if (c != null) {
                markFinal(c, t, response.status(), response.isSuccess());
            }
            return ResponseAction.relay();
        }
        if (c.isHigher(t)) {
            if (response.isSuccess()) {
                // L answered H's INVITE 200 OK: both sides may end up OK (abnormal, counted at the end).
                LOG.warn("[{}] the lower side answered the higher side's INVITE 200 OK", invite.callId());
                markFinal(c, t, response.status(), true);
                return ResponseAction.relay();
            }
            // DESIGN §4.3: whatever final response L gives, the server relays it to H as 491 with accept-peer.
            markFinal(c, t, 491, false);
            return ResponseAction.rewrite(491, NG_REASON, acceptPeer(c.lower()));
        }
        // L's INVITE, answered by H.
        if (response.isSuccess()) {
            synchronized (c) {
                t.answerPort = SdpMediaPort.of(response.body().orElse(null));
            }
            TrackedInvite h = c.higher();
            if (h.party.glareAware() && h.party.mediaPort().isPresent()) {
                boolean kept = t.answerPort.equals(h.party.mediaPort());
                statistics.portChecked(kept);
                if (!kept) {
                    LOG.info("[{}] {} answered on port {} but had advertised {}", invite.callId(), h.party.aor(),
                            t.answerPort, h.party.mediaPort());
                }
            }
            markFinal(c, t, response.status(), true);
            return ResponseAction.relay();
        }
        LOG.warn("[{}] the higher side answered the lower side's INVITE {}: no session on it", invite.callId(),
                response.status());
        markFinal(c, t, response.status(), false);
        return ResponseAction.relay();
    }

    /** RFC 3261 §16.7 step 5: a provisional response is relayed whatever happens; here it is only traced. */
    @Override
    public void onProvisionalResponse(InitialInvite invite, BranchResponse response) {
        TrackedInvite t = tracked.get(invite);
        if (t != null) {
            String label = response.status() + " " + response.reason();
            Map<String, String> glare = MessageTrail.glareHeaders(response::headers);
            t.trail.add(Hop.CALLEE_TO_SERVER, label, glare, "");
            t.trail.add(Hop.SERVER_TO_CALLER, label, glare, "relayed");
        }
    }

    /**
     * The end-to-end ACK of the 2xx of a crossing's INVITE (RFC 3261 §13.2.2.4): traced, and the
     * crossing's record completed if it was already kept.
     */
    @Override
    public void onAck(InitialInvite invite) {
        AwaitedAck awaited = acksAwaited.remove(invite);
        if (awaited == null) {
            return;
        }
        TrackedInvite t = awaited.invite();
        t.trail.add(Hop.CALLER_TO_SERVER, "ACK", Map.of(), "of the 2xx (end to end)");
        t.trail.add(Hop.SERVER_TO_CALLEE, "ACK", Map.of(), "forwarded");
        Crossing c = t.crossing;
        CrossingRecord before;
        CrossingRecord after;
        synchronized (c) {
            before = c.lastRecord;
            if (before == null) {
                return; // the crossing is not over yet: its record, made later, has the ACK
            }
            after = c.recordNow(before.outcome());
        }
        statistics.recordAmended(before, after);
    }

    /** The caller's CANCEL: the proxy answers it and CANCELs the branch itself (RFC 3261 §16.10). */
    @Override
    public void onCancel(InitialInvite invite) {
        TrackedInvite t = tracked.get(invite);
        if (t != null) {
            t.trail.add(Hop.CALLER_TO_SERVER, "CANCEL", Map.of(), "");
            t.trail.add(Hop.SERVER_TO_CALLEE, "CANCEL", Map.of(), "relayed");
        }
    }

    @Override
    public void onEnd(InitialInvite invite, InviteEnd end) {
        TrackedInvite t = tracked.remove(invite);
        if (t == null) {
            return;
        }
        if (end == InviteEnd.REJECTED) {
            // RFC 3261 §17.1.1.3: the ACK of a non-2xx final response is hop by hop; its arrival ends the transaction
            t.trail.add(Hop.CALLER_TO_SERVER, "ACK", Map.of(), "of the final response");
        }
        pending.remove(t.party.leg(), t);
        Crossing c = t.crossing;
        if (c == null) {
            return;
        }
        TrackedInvite releaseLower = null;
        boolean record = false;
        synchronized (c) {
            t.ended = true;
            t.aborted = end == InviteEnd.ABORTED;
            if (t.finalStatus == 0) {
                t.finalStatus = switch (end) {
                    case ANSWERED -> 200;
                    case CANCELLED -> 487;
                    case TIMED_OUT -> 408;
                    default -> 0;
                };
                t.answered = end == InviteEnd.ANSWERED;
            }
            if (c.resolved() && c.isHigher(t) && c.lowerWaitsForHigher && !c.lowerReleased) {
                c.lowerReleased = true;
                releaseLower = c.lower();
            }
            if (c.first.ended && c.second.ended && !c.recorded) {
                c.recorded = true;
                record = true;
            }
        }
        if (releaseLower != null) {
            // DESIGN §4.3: a plain H gets L's INVITE as an ordinary incoming call once its own INVITE has ended.
            LOG.info("[{}] {}'s own INVITE ended ({}): delivering {}'s INVITE", releaseLower.party.callId(),
                    t.party.aor(), end, releaseLower.party.aor());
            releaseLower.invite.release(forwarded(releaseLower, releaseLower.baseEdits, "delivered after H's INVITE ended"));
        }
        if (record) {
            // an INVITE the proxy ended because the plugin went away is not a timeout of the crossing
            CrossingOutcome outcome = c.outcome(c.first.aborted || c.second.aborted);
            CrossingRecord r;
            synchronized (c) {
                r = c.recordNow(outcome);
            }
            statistics.crossingEnded(r);
            if (outcome.abnormal()) {
                LOG.warn("[{}] crossing {} / {} ended abnormally: {}", r.lowerCallId(), r.lowerAor(), r.higherAor(), outcome);
            } else {
                LOG.info("[{}] crossing {} / {} ended: {} (latency {} us)", r.lowerCallId(), r.lowerAor(),
                        r.higherAor(), outcome, r.latencyMicros());
            }
        }
    }

    /** Drops INVITEs followed for longer than {@code pending.timeout} (a final response or end that never came). */
    public void expireStale() {
        long limit = TimeUnit.MILLISECONDS.toNanos(settings.pendingTimeoutMillis());
        long now = System.nanoTime();
        acksAwaited.values().removeIf(a -> now - a.sinceNanos() > ACK_WAIT_NANOS);
        for (TrackedInvite t : tracked.values()) {
            if (now - t.trackedNanos > limit) {
                LOG.warn("[{}] INVITE {} still pending after pending.timeout: no longer followed", t.party.callId(),
                        t.party.leg());
                onEnd(t.invite, InviteEnd.TIMED_OUT);
            }
        }
    }

    private void markFinal(Crossing c, TrackedInvite t, int status, boolean answered) {
        long latency;
        synchronized (c) {
            if (t.finalStatus != 0) {
                return;
            }
            t.finalStatus = status;
            t.answered = answered;
        }
        latency = c.finalAnswer(System.nanoTime());
        if (latency >= 0) {
            statistics.decisionLatency(latency);
        }
    }

    private static boolean glareAware(InitialInvite invite) {
        if (invite.caller().map(r -> r.supports(GlareHeaders.OPTION_TAG)).orElse(false)) {
            return true;
        }
        return invite.headers("Supported").stream().anyMatch(v -> v.trim().equalsIgnoreCase(GlareHeaders.OPTION_TAG));
    }

    /** Forwards (or releases) an INVITE and notes the copy the callee gets, Glare headers as edited. */
    private static InviteAction forwarded(TrackedInvite t, HeaderEdits edits, String note) {
        t.trail.add(Hop.SERVER_TO_CALLEE, "INVITE",
                MessageTrail.afterEdits(MessageTrail.glareHeaders(t.invite::headers), edits), note);
        return InviteAction.forward(edits);
    }

    private static HeaderEdits acceptPeer(TrackedInvite lower) {
        return HeaderEdits.builder()
                .set(GlareHeaders.RESOLUTION, GlareResolution.acceptPeer(lower.party.callId()).format())
                .build();
    }

    private static HeaderEdits with(HeaderEdits base, String resolution) {
        return base.toBuilder().set(GlareHeaders.RESOLUTION, resolution).build();
    }

    // ---------------------------------------------------------------- GlareStatus

    @Override
    public boolean enabled() {
        return settings.enabled();
    }

    @Override
    public String tiebreakSource() {
        return settings.source().token();
    }

    @Override
    public CrossingCounters counters() {
        return statistics.snapshot();
    }

    @Override
    public List<CrossingRecord> recentCrossings(int max) {
        return statistics.recent(max);
    }

    @Override
    public DecisionTime decisionTime() {
        return statistics.decisionTime();
    }

    @Override
    public int pendingInvites() {
        return pending.size();
    }
}
