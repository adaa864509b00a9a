package io.glareresolver.sip.impl.component;

import java.time.Clock;
import java.util.Map;

import org.osgi.framework.Constants;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.metatype.annotations.Designate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.glareresolver.sip.api.InviteInterceptor;
import io.glareresolver.sip.api.ProtectionCounters;
import io.glareresolver.sip.api.ProtectionService;
import io.glareresolver.sip.api.RegistrationInterceptor;
import io.glareresolver.sip.impl.config.ServerConfig;
import io.glareresolver.sip.impl.config.ServerSettings;
import io.glareresolver.sip.impl.config.SettingsReader;
import io.glareresolver.sip.impl.config.SipHost;
import io.glareresolver.sip.impl.proxy.InterceptorChain;
import io.glareresolver.sip.impl.screen.SourceGuard;
import io.glareresolver.sip.impl.stack.SipConstants;
import io.glareresolver.sip.impl.stack.SipServer;

/**
 * The SIP server as a DS component: starts the stack on activation, rebinds it on a
 * configuration change ({@code @Modified}, no restart), and binds interceptors dynamically
 * (whiteboard), never touching the stack for them. Publishes the per-source protection's counters
 * ({@link ProtectionService}); its source guard outlives a restarted server instance.
 */
@Component(service = ProtectionService.class, immediate = true, configurationPid = ServerSettings.PID,
        configurationPolicy = ConfigurationPolicy.OPTIONAL)
@Designate(ocd = ServerConfig.class)
public final class SipServerComponent implements ProtectionService {

    private static final Logger LOG = LoggerFactory.getLogger(SipServerComponent.class);

    private final InterceptorChain interceptors = new InterceptorChain();

    @Reference
    private LocationComponent location;

    private SipServer server;
    private ServerSettings settings = ServerSettings.defaults();
    private volatile SourceGuard guard;

    @Activate
    void activate(Map<String, Object> props) {
        settings = new SettingsReader().read(props, ServerSettings.defaults());
        guard = SipServer.newGuard(settings, Clock.systemUTC());
        server = newServer(settings);
        startOrExplain();
    }

    private SipServer newServer(ServerSettings s) {
        return new SipServer(s, location.store(), interceptors, SipConstants.TIMER_C_MILLIS, Clock.systemUTC(), guard);
    }

    @Override
    public ProtectionCounters counters() {
        return counters(guard);
    }

    /** The guard's snapshot as the exported value. */
    static ProtectionCounters counters(SourceGuard g) {
        SourceGuard.Snapshot s = g.snapshot();
        SourceGuard.Limits l = g.limits();
        return new ProtectionCounters(l.requestsPerSecond(), l.banFailures(), l.banWindow().toSeconds(),
                l.banDuration().toSeconds(), s.refusedForRate(), s.droppedWhileBanned(), s.digestFailures(),
                s.bansIssued(), s.sourcesTracked(), s.bannedNow().stream()
                        .map(b -> new ProtectionCounters.BannedSource(b.source(), b.failures(), b.until())).toList());
    }

    /**
     * A port in use must not kill the component: it stays active, logs why, and a corrected
     * configuration starts the stack.
     */
    private void startOrExplain() {
        try {
            server.start();
        } catch (Exception e) {
            LOG.error("SIP server not started: cannot listen on {} {} ({}); set address/port/transports in "
                    + "configuration {}", SipHost.hostPort(settings.address(), settings.port()), settings.transports(),
                    e.toString(), ServerSettings.PID);
        }
    }

    @Modified
    void modified(Map<String, Object> props) {
        ServerSettings next = new SettingsReader().read(props, settings);
        if (!server.running()) {
            settings = next;
            server = newServer(settings);
            startOrExplain();
            return;
        }
        if (server.reconfigure(next)) {
            settings = next;
        } else {
            // keep the listening part that works, take the rest
            settings = next.listeningAs(settings);
            server.reconfigure(settings);
        }
    }

    @Deactivate
    void deactivate() {
        if (server != null) {
            server.stop();
        }
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void bindInterceptor(InviteInterceptor interceptor, Map<String, Object> props) {
        interceptors.add(interceptor, ranking(props), serviceId(props));
        LOG.info("interceptor bound: {} (ranking {})", interceptor.getClass().getName(), ranking(props));
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void bindRegistrationInterceptor(RegistrationInterceptor interceptor, Map<String, Object> props) {
        interceptors.addRegistrationInterceptor(interceptor, ranking(props), serviceId(props));
        LOG.info("registration interceptor bound: {} (ranking {})", interceptor.getClass().getName(), ranking(props));
    }

    void unbindRegistrationInterceptor(RegistrationInterceptor interceptor, Map<String, Object> props) {
        interceptors.removeRegistrationInterceptor(interceptor);
        LOG.info("registration interceptor unbound: {}", interceptor.getClass().getName());
    }

    void updatedInterceptor(InviteInterceptor interceptor, Map<String, Object> props) {
        interceptors.reorder(interceptor, ranking(props), serviceId(props));
    }

    void unbindInterceptor(InviteInterceptor interceptor, Map<String, Object> props) {
        interceptors.remove(interceptor);
        LOG.info("interceptor unbound: {}", interceptor.getClass().getName());
    }

    private static int ranking(Map<String, Object> props) {
        return props.get(Constants.SERVICE_RANKING) instanceof Integer i ? i : 0;
    }

    private static long serviceId(Map<String, Object> props) {
        return props.get(Constants.SERVICE_ID) instanceof Long l ? l : Long.MAX_VALUE;
    }
}
