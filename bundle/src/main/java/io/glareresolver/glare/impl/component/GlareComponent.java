package io.glareresolver.glare.impl.component;

import io.glareresolver.glare.api.CrossingCounters;
import io.glareresolver.glare.api.CrossingRecord;
import io.glareresolver.glare.api.DecisionTime;
import io.glareresolver.glare.api.GlareStatus;
import io.glareresolver.glare.impl.config.GlareConfig;
import io.glareresolver.glare.impl.config.GlareSettings;
import io.glareresolver.glare.impl.resolve.GlareResolver;
import io.glareresolver.sip.api.BranchResponse;
import io.glareresolver.sip.api.InitialInvite;
import io.glareresolver.sip.api.InviteAction;
import io.glareresolver.sip.api.InviteEnd;
import io.glareresolver.sip.api.InviteInterceptor;
import io.glareresolver.sip.api.Registration;
import io.glareresolver.sip.api.RegistrationInterceptor;
import io.glareresolver.sip.api.ResponseAction;
import io.glareresolver.sip.api.HeaderEdits;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.metatype.annotations.Designate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The glare plugin as an OSGi component: an {@link InviteInterceptor} on the sip-server whiteboard
 * and the {@link GlareStatus} service. Settings come from Config Admin (PID
 * {@value GlareStatus#PID}); a change applies at once, without restarting the SIP stack.
 */
@Component(service = {InviteInterceptor.class, RegistrationInterceptor.class, GlareStatus.class}, configurationPid = GlareStatus.PID,
        property = "service.ranking:Integer=100", immediate = true)
@Designate(ocd = GlareConfig.class)
public final class GlareComponent implements InviteInterceptor, RegistrationInterceptor, GlareStatus {

    private static final Logger LOG = LoggerFactory.getLogger(GlareComponent.class);

    private ScheduledExecutorService timers;
    private volatile GlareResolver resolver;
    private volatile String lastRefused;

    @Activate
    void activate(Map<String, Object> properties) {
        GlareSettings settings;
        try {
            settings = GlareSettings.from(properties);
        } catch (GlareSettings.InvalidSettingException e) {
            LOG.error("glare settings refused: {}; starting with the defaults", e.getMessage());
            refused(e.getMessage() + " (the defaults are in force)");
            settings = GlareSettings.DEFAULTS;
        }
        timers = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "glare-timers");
            t.setDaemon(true);
            return t;
        });
        GlareResolver r = new GlareResolver(settings, timers, Clock.systemUTC());
        timers.scheduleWithFixedDelay(r::expireStale, 1, 1, TimeUnit.SECONDS);
        resolver = r;
        LOG.info("glare plugin started: enabled={}, tiebreak.source={}", settings.enabled(), settings.source().token());
    }

    @Modified
    void modified(Map<String, Object> properties) {
        try {
            resolver.update(GlareSettings.from(properties));
        } catch (GlareSettings.InvalidSettingException e) {
            LOG.error("glare settings refused, the previous settings stay in force: {}", e.getMessage());
            refused(e.getMessage() + " (the previous settings stay in force)");
        }
    }

    private void refused(String message) {
        lastRefused = java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS) + " " + message;
    }

    @Override
    public java.util.Optional<String> lastRefusedSetting() {
        return java.util.Optional.ofNullable(lastRefused);
    }

    @Deactivate
    void deactivate() {
        resolver.letGo("plugin stopped");
        timers.shutdownNow();
        LOG.info("glare plugin stopped");
    }

    @Override
    public InviteAction onInitialInvite(InitialInvite invite) {
        return resolver.onInitialInvite(invite);
    }

    @Override
    public ResponseAction onFinalResponse(InitialInvite invite, BranchResponse response) {
        return resolver.onFinalResponse(invite, response);
    }

    @Override
    public void onProvisionalResponse(InitialInvite invite, BranchResponse response) {
        resolver.onProvisionalResponse(invite, response);
    }

    @Override
    public void onAck(InitialInvite invite) {
        resolver.onAck(invite);
    }

    @Override
    public void onCancel(InitialInvite invite) {
        resolver.onCancel(invite);
    }

    @Override
    public void onEnd(InitialInvite invite, InviteEnd end) {
        resolver.onEnd(invite, end);
    }

    @Override
    public HeaderEdits onRegistered(Registration registration, Set<String> supported) {
        return resolver.onRegistered(registration, supported);
    }

    @Override
    public boolean enabled() {
        return resolver.enabled();
    }

    @Override
    public String tiebreakSource() {
        return resolver.tiebreakSource();
    }

    @Override
    public CrossingCounters counters() {
        return resolver.counters();
    }

    @Override
    public List<CrossingRecord> recentCrossings(int max) {
        return resolver.recentCrossings(max);
    }

    @Override
    public int pendingInvites() {
        return resolver.pendingInvites();
    }

    @Override
    public DecisionTime decisionTime() {
        return resolver.decisionTime();
    }
}
