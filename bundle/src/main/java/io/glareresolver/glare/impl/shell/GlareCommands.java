package io.glareresolver.glare.impl.shell;

import io.glareresolver.glare.api.CrossingCounters;
import io.glareresolver.glare.api.CrossingOutcome;
import io.glareresolver.glare.api.CrossingRecord;
import io.glareresolver.glare.api.GlareStatus;
import io.glareresolver.glare.impl.component.EnabledSwitch;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import java.io.IOException;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;

/**
 * Gogo shell commands for a telephony administrator: {@code glare:status}, {@code glare:enable},
 * {@code glare:disable}, {@code glare:crossings [n]}. Each returns its text; Gogo prints it.
 * Enable/disable write the Config Admin setting, so they survive a restart.
 */
@Component(service = GlareCommands.class, property = {
        "osgi.command.scope=glare",
        "osgi.command.function=status",
        "osgi.command.function=enable",
        "osgi.command.function=disable",
        "osgi.command.function=crossings"})
public final class GlareCommands {

    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss.SSS").withZone(ZoneOffset.UTC);

    @Reference
    private GlareStatus status;

    @Reference
    private ConfigurationAdmin configAdmin;

    /** {@code glare:status}: switch, policy, pending INVITEs, counters, last refused setting. */
    public String status() {
        CrossingCounters c = status.counters();
        StringBuilder out = new StringBuilder();
        out.append("glare plugin: ").append(status.enabled() ? "enabled" : "disabled").append('\n');
        out.append("tiebreak.source: ").append(status.tiebreakSource()).append('\n');
        out.append("pending INVITEs: ").append(status.pendingInvites()).append('\n');
        out.append("crossings seen: ").append(c.crossingsSeen()).append('\n');
        out.append("resolved: ").append(c.resolved()).append('\n');
        out.append("sessions established: ").append(c.sessionsEstablished()).append('\n');
        out.append("abnormal: ").append(c.abnormalTotal());
        for (Map.Entry<CrossingOutcome, Long> e : c.abnormal().entrySet()) {
            if (e.getValue() > 0) {
                out.append(' ').append(e.getKey()).append('=').append(e.getValue());
            }
        }
        out.append('\n');
        out.append("ports kept / changed: ").append(c.portsKept()).append(" / ").append(c.portsChanged()).append('\n');
        out.append("malformed Glare-Tiebreak refused: ").append(c.malformedRefused()).append('\n');
        out.append("in progress: ").append(c.inProgress()).append('\n');
        out.append("decision latency p50 / p99: ").append(c.latencyP50Micros()).append(" us / ")
                .append(c.latencyP99Micros()).append(" us\n");
        out.append("last refused setting: ").append(status.lastRefusedSetting().orElse("none"));
        return out.toString();
    }

    /** {@code glare:enable}: resolve crossings (writes {@code enabled=true}). */
    public String enable() throws IOException {
        EnabledSwitch.write(configAdmin, true);
        return "glare plugin: enable requested (Config Admin " + GlareStatus.PID + " enabled=true)";
    }

    /** {@code glare:disable}: plain RFC 3261 proxy (writes {@code enabled=false}). */
    public String disable() throws IOException {
        EnabledSwitch.write(configAdmin, false);
        return "glare plugin: disable requested (Config Admin " + GlareStatus.PID + " enabled=false)";
    }

    /** {@code glare:crossings}: the 10 most recent crossings. */
    public String crossings() {
        return crossings(10);
    }

    /** {@code glare:crossings n}: the n most recent crossings, newest first. */
    public String crossings(int n) {
        List<CrossingRecord> recent = status.recentCrossings(Math.max(1, n));
        if (recent.isEmpty()) {
            return "no crossings yet";
        }
        StringBuilder out = new StringBuilder(String.format("%-12s  %-22s %-22s %-21s %-13s %-19s %s%n",
                "time (UTC)", "L (value)", "H (value)", "OK sent by", "H port adv/used", "outcome", "latency"));
        for (CrossingRecord r : recent) {
            out.append(String.format("%-12s  %-22s %-22s %-21s %6s/%-8s %-19s %s%n",
                    TIME.format(r.detectedAt()),
                    r.lowerAor() + " (" + r.lowerValue() + ")",
                    r.higherAor() + " (" + r.higherValue() + ")",
                    okSender(r),
                    port(r.higherAdvertisedPort()), port(r.higherAnswerPort()),
                    r.outcome(),
                    r.latencyMicros() < 0 ? "-" : r.latencyMicros() + " us"));
        }
        return out.toString().stripTrailing();
    }

    static String okSender(CrossingRecord r) {
        return switch (r.outcome()) {
            case SESSION_ESTABLISHED -> r.higherAor();
            case BOTH_OK -> "both";
            case WRONG_SIDE -> r.lowerAor();
            default -> "nobody";
        };
    }

    private static String port(int p) {
        return p < 0 ? "-" : Integer.toString(p);
    }
}
