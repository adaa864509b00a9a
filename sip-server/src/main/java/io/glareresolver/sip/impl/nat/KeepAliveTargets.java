package io.glareresolver.sip.impl.nat;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.glareresolver.sip.api.Registration;
import io.glareresolver.sip.api.Registration.Binding;

/**
 * Which bindings get a NAT keep-alive, and how their failures are counted. Plain Java.
 *
 * <p>A binding behind a NAT ({@link Binding#natted()}) and without Path (an edge proxy in front of
 * us keeps its own flows, RFC 3327) is probed once per round, one probe per flow even when several
 * bindings share it. RFC 5626 §3.5: "the UA ... needs to send ... keep-alive messages" to keep the
 * NAT binding open; Kamailio's nathelper does the same from the server side ({@code natping_interval})
 * for phones that do not.
 */
public final class KeepAliveTargets {

    /** A probe to send: the flow and one binding on it (whose Contact is the OPTIONS' Request-URI). */
    public record Target(Flow flow, String aor, Binding binding) {
    }

    /** Consecutive failures after which a flow is reported (and again at every further multiple). */
    public static final int REPORT_AFTER = 3;

    private final Map<String, Integer> failures = new java.util.concurrent.ConcurrentHashMap<>();

    /** The flows to probe this round, first binding of each flow. */
    public static List<Target> of(Collection<Registration> registrations) {
        Map<String, Target> out = new LinkedHashMap<>();
        for (Registration r : registrations) {
            for (Binding b : r.bindings()) {
                if (!b.natted() || !b.path().isEmpty()) {
                    continue;
                }
                Flow.parse(b.received()).ifPresent(f -> out.putIfAbsent(f.text(), new Target(f, r.aor(), b)));
            }
        }
        return new ArrayList<>(out.values());
    }

    /** The flow answered (any response, even an error: the NAT let it through). */
    public void answered(Flow flow) {
        failures.remove(flow.text());
    }

    /**
     * The flow did not answer; returns the number of consecutive failures. The binding is kept
     * (see README "NAT traversal": it expires as registered).
     */
    public int failed(Flow flow) {
        return failures.merge(flow.text(), 1, Integer::sum);
    }

    /** Forgets flows that are no longer probed (their bindings expired or were replaced). */
    public void retain(Collection<Target> probed) {
        java.util.Set<String> live = new java.util.HashSet<>();
        probed.forEach(t -> live.add(t.flow().text()));
        failures.keySet().retainAll(live);
    }

    /** True when a failure count is to be logged: the {@link #REPORT_AFTER}th and every multiple of it. */
    public static boolean report(int consecutiveFailures) {
        return consecutiveFailures > 0 && consecutiveFailures % REPORT_AFTER == 0;
    }
}
