package io.glareresolver.glare.impl.pbx.ami;

import io.glareresolver.glare.impl.crossing.TiebreakSource;
import io.glareresolver.glare.impl.pbx.PbxCall;
import io.glareresolver.glare.impl.pbx.PbxCrossingDecider;
import io.glareresolver.glare.impl.pbx.PbxCrossingLog;
import io.glareresolver.glare.impl.pbx.PbxDecision;
import io.glareresolver.glare.impl.pbx.PendingPbxCalls;
import io.glareresolver.glare.pbx.PbxCrossing;
import io.glareresolver.protocol.ParseResult;
import io.glareresolver.protocol.TiebreakValue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Follows the PBX's call events (already reduced to plain values, no Asterisk-Java types) and
 * finds crossing calls between two extensions: a {@code DialBegin} from Y to X while X to Y is
 * still dialling (no {@code DialEnd}/{@code Hangup} yet). The crossing is decided with the SIP
 * plugin's decision code ({@link PbxCrossingDecider}); the higher side's own call yields, through
 * {@link Yield}. Values: the channel variable {@code GLARE_TIEBREAK} (seen in {@code VarSet}
 * events), else the registrar's endpoint ID of the extension.
 */
public final class AmiCrossingWatcher {

    /** What to do with the decided crossing: make {@code higher}'s own call yield to {@code lower}'s. */
    @FunctionalInterface
    public interface Yield {
        /** @return a description of the action sent, for the crossing record */
        String yieldCall(PbxCall higher, PbxCall lower);
    }

    private static final Logger LOG = LoggerFactory.getLogger(AmiCrossingWatcher.class);
    static final String GLARE_TIEBREAK = "GLARE_TIEBREAK";

    private final PendingPbxCalls pending;
    private final PbxCrossingLog log;
    private final Function<String, OptionalLong> registrar;
    private final TiebreakSource source;
    private final Yield yield;
    private final Clock clock;
    private final Map<String, TiebreakValue> channelValues = new ConcurrentHashMap<>();

    public AmiCrossingWatcher(PendingPbxCalls pending, PbxCrossingLog log, Function<String, OptionalLong> registrar,
                              TiebreakSource source, Yield yield, Clock clock) {
        this.pending = Objects.requireNonNull(pending, "pending");
        this.log = Objects.requireNonNull(log, "log");
        this.registrar = Objects.requireNonNull(registrar, "registrar");
        this.source = Objects.requireNonNull(source, "source");
        this.yield = Objects.requireNonNull(yield, "yield");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** {@code Event: VarSet}: remembers {@code GLARE_TIEBREAK} of a channel; a malformed value is logged and ignored. */
    public void onVarSet(String channel, String variable, String value) {
        if (channel == null || !GLARE_TIEBREAK.equalsIgnoreCase(variable)) {
            return;
        }
        if (value == null || value.isBlank()) {
            channelValues.remove(channel);
            return;
        }
        ParseResult<TiebreakValue> parsed = TiebreakValue.parse(value);
        if (parsed.isValid()) {
            channelValues.put(channel, parsed.value());
        } else {
            LOG.warn("AMI channel {}: {} ignored: {}", channel, GLARE_TIEBREAK, parsed.reason().orElse("malformed"));
        }
    }

    /**
     * {@code Event: DialBegin}: {@code channel} (caller ID {@code callerNum}) dials {@code dialString}
     * (e.g. {@code 102} or {@code PJSIP/102}).
     */
    public void onDialBegin(String channel, String callerNum, String dialString) {
        String callee = extensionOf(dialString);
        if (channel == null || callerNum == null || callerNum.isBlank() || callee == null) {
            LOG.debug("AMI DialBegin without caller or destination ignored: channel {}", channel);
            return;
        }
        String caller = callerNum.trim();
        PbxCall call = new PbxCall(caller, callee, channel, Optional.ofNullable(channelValues.get(channel)),
                registrar.apply(caller));
        Optional<PbxCall> peer = pending.offer(call, clock.instant());
        if (peer.isEmpty()) {
            return;
        }
        PbxDecision decision = PbxCrossingDecider.decide(peer.get(), call, source);
        String action;
        if (decision.resolved()) {
            PbxCall higher = decision.higher().orElseThrow();
            PbxCall lower = decision.lower().orElseThrow();
            LOG.info("AMI crossing {} -> {} ({}) and {} -> {} ({}): {}, {}'s call yields", peer.get().caller(),
                    peer.get().callee(), peer.get().channel(), caller, callee, channel, decision.comparison(),
                    higher.caller());
            action = yield.yieldCall(higher, lower);
        } else {
            LOG.info("AMI crossing {} ({}) and {} ({}) cannot be ordered ({}): left to the PBX",
                    peer.get().channel(), peer.get().caller(), channel, caller, decision.comparison());
            action = "none";
        }
        log.amiCrossing(new PbxCrossing(clock.instant(), "AMI", peer.get().caller(), caller, peer.get().channel(), channel,
                decision.firstValue(), decision.secondValue(), decision.higher().map(PbxCall::caller).orElse(""),
                decision.comparison().name(), action), decision.resolved());
    }

    /** {@code Event: DialEnd}: the dial was answered or failed; it can no longer cross. */
    public void onDialEnd(String channel) {
        if (channel != null) {
            pending.endChannel(channel);
        }
    }

    /** {@code Event: Hangup}. */
    public void onHangup(String channel) {
        if (channel != null) {
            pending.endChannel(channel);
            channelValues.remove(channel);
        }
    }

    /** The connection was lost: the events of the calls pending now may never come. */
    public void onConnectionLost() {
        pending.clear();
        channelValues.clear();
    }

    /** {@code 102}, {@code PJSIP/102}, {@code SIP/102@trunk} or {@code 102/n} to {@code 102}. */
    static String extensionOf(String dialString) {
        if (dialString == null || dialString.isBlank()) {
            return null;
        }
        String s = dialString.trim();
        int slash = s.indexOf('/');
        if (slash >= 0 && slash < s.length() - 1 && s.substring(0, slash).chars().allMatch(Character::isLetter)) {
            s = s.substring(slash + 1);
        }
        int cut = s.length();
        for (char c : new char[]{'@', '/', ','}) {
            int i = s.indexOf(c);
            if (i >= 0) {
                cut = Math.min(cut, i);
            }
        }
        s = s.substring(0, cut);
        return s.isEmpty() ? null : s;
    }
}
