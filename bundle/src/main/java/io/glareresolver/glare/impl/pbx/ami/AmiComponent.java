package io.glareresolver.glare.impl.pbx.ami;

import io.glareresolver.glare.impl.crossing.TiebreakSource;
import io.glareresolver.glare.impl.pbx.PbxCall;
import io.glareresolver.glare.impl.pbx.PbxStatusComponent;
import io.glareresolver.glare.impl.pbx.PendingPbxCalls;
import io.glareresolver.glare.pbx.PbxStatus;
import io.glareresolver.sip.api.LocationService;
import org.asteriskjava.manager.AuthenticationFailedException;
import org.asteriskjava.manager.ManagerConnection;
import org.asteriskjava.manager.ManagerConnectionFactory;
import org.asteriskjava.manager.ManagerConnectionState;
import org.asteriskjava.manager.ManagerEventListener;
import org.asteriskjava.manager.TimeoutException;
import org.asteriskjava.manager.action.AbstractManagerAction;
import org.asteriskjava.manager.action.BridgeAction;
import org.asteriskjava.manager.action.HangupAction;
import org.asteriskjava.manager.action.RedirectAction;
import org.asteriskjava.manager.event.ConnectEvent;
import org.asteriskjava.manager.event.DialBeginEvent;
import org.asteriskjava.manager.event.DialEndEvent;
import org.asteriskjava.manager.event.DisconnectEvent;
import org.asteriskjava.manager.event.HangupEvent;
import org.asteriskjava.manager.event.ManagerEvent;
import org.asteriskjava.manager.event.VarSetEvent;
import org.asteriskjava.manager.response.ManagerResponse;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.metatype.annotations.Designate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The AMI watcher: Asterisk-Java's manager connection, its call events fed to
 * {@link AmiCrossingWatcher}, and the manager action that makes the higher side's call yield.
 * Off unless configuration {@value PbxStatus#AMI_PID} exists (and has a real secret).
 *
 * <p>Connecting: a failed login is retried with back-off ({@code reconnect.initial} doubled up to
 * {@code reconnect.maximum}). Once logged in, a dropped connection is re-established by
 * Asterisk-Java itself (its keep-alive: ten quick attempts 50 ms apart, then every 5 s), also after
 * an authentication failure. The secret is handed to Asterisk-Java only; it answers Asterisk's MD5
 * challenge with it and it is never logged.
 */
@Component(configurationPid = PbxStatus.AMI_PID, configurationPolicy = ConfigurationPolicy.REQUIRE, service = {})
@Designate(ocd = AmiConfig.class)
public final class AmiComponent {

    private static final Logger LOG = LoggerFactory.getLogger(AmiComponent.class);
    private static final int SEND_ATTEMPTS = 50;

    @Reference
    private PbxStatusComponent status;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile LocationService locations;

    private ScheduledExecutorService connector;
    private ManagerConnection connection;
    private volatile boolean stopped;
    private String target;

    @Activate
    void activate(AmiConfig config) {
        target = config.username() + "@" + config.host() + ":" + config.port();
        String secret = config.secret();
        if (secret == null || secret.isBlank() || AmiConfig.SECRET_PLACEHOLDER.equals(secret.trim())) {
            LOG.error("AMI {}: no secret configured (set 'secret' in {}.cfg); not connecting", target, PbxStatus.AMI_PID);
            return;
        }
        TiebreakSource source = TiebreakSource.fromToken(config.tiebreak_source()).orElseGet(() -> {
            LOG.error("AMI: tiebreak.source '{}' unknown, using endpoint", config.tiebreak_source());
            return TiebreakSource.ENDPOINT;
        });
        AmiResolution resolution = AmiResolution.fromToken(config.resolve_action()).orElseGet(() -> {
            LOG.error("AMI: resolve.action '{}' unknown, using hangup", config.resolve_action());
            return AmiResolution.HANGUP;
        });
        ManagerConnection c = new ManagerConnectionFactory(config.host(), config.port(), config.username(), secret)
                .createManagerConnection();
        // registered explicitly: Asterisk-Java finds its event classes by scanning its class path, which
        // does not see into an OSGi bundle
        c.registerUserEventClass(DialBeginEvent.class);
        c.registerUserEventClass(DialEndEvent.class);
        c.registerUserEventClass(HangupEvent.class);
        c.registerUserEventClass(VarSetEvent.class);
        c.setKeepAliveAfterAuthenticationFailure(true);
        AmiCrossingWatcher watcher = new AmiCrossingWatcher(
                new PendingPbxCalls(Duration.ofMillis(config.pending_timeout()), 10000), status, this::registrarId, source,
                (higher, lower) -> yieldCall(config, resolution, higher, lower), Clock.systemUTC());
        c.addEventListener(new EventFeed(watcher));
        connection = c;
        ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "glare-ami-connect");
            t.setDaemon(true);
            return t;
        });
        // on deactivation: drop waiting retries, let a login in progress finish (not interrupted)
        executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        connector = executor;
        connector.execute(() -> login(Math.max(10, config.reconnect_initial()), Math.max(10, config.reconnect_maximum())));
        LOG.info("AMI watcher started for {} (tiebreak.source={}, resolve.action={})", target, source.token(),
                resolution.token());
    }

    @Deactivate
    void deactivate() {
        stopped = true;
        if (connector != null) {
            connector.shutdown();
            try {
                // a login in progress finishes (bounded by Asterisk-Java's own timeouts) before the logoff below
                if (!connector.awaitTermination(10, TimeUnit.SECONDS)) {
                    LOG.warn("AMI {}: login still in progress after 10 s", target);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (connection != null) {
            logoff();
            status.amiConnected(false);
        }
        LOG.info("AMI watcher for {} stopped", target);
    }

    /** Ends the session and Asterisk-Java's keep-alive (its reconnect loop stops in RECONNECTING too). */
    private void logoff() {
        try {
            ManagerConnectionState state = connection.getState();
            if (state == ManagerConnectionState.CONNECTED || state == ManagerConnectionState.RECONNECTING
                    || state == ManagerConnectionState.CONNECTING) {
                connection.logoff();
            }
        } catch (RuntimeException e) {
            LOG.debug("AMI {} logoff: {}", target, e.toString());
        }
    }

    private void login(long delay, long maximum) {
        if (stopped) {
            return;
        }
        try {
            connection.login();
            if (stopped) {
                logoff();
                return;
            }
            status.amiConnected(true);
            LOG.info("AMI {}: logged in", target);
            return;
        } catch (AuthenticationFailedException e) {
            LOG.error("AMI {}: authentication failed (check username and secret); retrying in {} ms", target, delay);
        } catch (IOException | TimeoutException | IllegalStateException e) {
            LOG.warn("AMI {}: cannot log in ({}); retrying in {} ms", target, e.getClass().getSimpleName(), delay);
        }
        status.amiConnected(false);
        if (!stopped) {
            long next = Math.min(maximum, delay * 2);
            later(() -> login(next, maximum), delay);
        }
    }

    private void later(Runnable task, long delayMillis) {
        try {
            connector.schedule(task, delayMillis, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // deactivated meanwhile
        }
    }

    private String yieldCall(AmiConfig config, AmiResolution resolution, PbxCall higher, PbxCall lower) {
        AbstractManagerAction action;
        String description;
        switch (resolution) {
            case REDIRECT -> {
                RedirectAction r = new RedirectAction();
                r.setChannel(higher.channel());
                r.setContext(config.redirect_context());
                r.setExten(config.redirect_exten().isBlank() ? lower.caller() : config.redirect_exten());
                r.setPriority(config.redirect_priority());
                action = r;
                description = "Redirect " + higher.channel() + " to " + r.getContext() + "," + r.getExten() + ","
                        + r.getPriority();
            }
            case BRIDGE -> {
                BridgeAction b = new BridgeAction();
                b.setChannel1(lower.channel());
                b.setChannel2(higher.channel());
                action = b;
                description = "Bridge " + lower.channel() + " " + higher.channel();
            }
            default -> {
                HangupAction h = new HangupAction();
                h.setChannel(higher.channel());
                h.setCause(config.hangup_cause());
                action = h;
                description = "Hangup " + higher.channel() + " cause " + config.hangup_cause();
            }
        }
        send(action, description, 0);
        return description;
    }

    /**
     * Sends an action; while the connection is not (yet, again) logged in, e.g. events that arrive
     * while Asterisk-Java still completes its login, it is retried every 100 ms for up to 5 s.
     */
    private void send(AbstractManagerAction action, String description, int attempt) {
        if (stopped) {
            return;
        }
        try {
            connection.sendAction(action, response -> onActionResponse(description, response));
        } catch (IllegalStateException e) {
            if (attempt < SEND_ATTEMPTS) {
                later(() -> send(action, description, attempt + 1), 100);
            } else {
                status.amiActionDone(false);
                LOG.warn("AMI {}: {} not sent: not connected for {} ms", target, description, SEND_ATTEMPTS * 100);
            }
        } catch (IOException | RuntimeException e) {
            status.amiActionDone(false);
            LOG.warn("AMI {}: {} not sent: {}", target, description, e.toString());
        }
    }

    private void onActionResponse(String description, ManagerResponse response) {
        boolean ok = response != null && "Success".equalsIgnoreCase(response.getResponse());
        status.amiActionDone(ok);
        if (ok) {
            LOG.info("AMI {}: {} done", target, description);
        } else {
            LOG.warn("AMI {}: {} refused: {}", target, description, response == null ? "no response" : response.getMessage());
        }
    }

    private OptionalLong registrarId(String extension) {
        LocationService l = locations;
        if (l == null) {
            return OptionalLong.empty();
        }
        Optional<Long> id = l.endpointId(extension);
        return id.isPresent() ? OptionalLong.of(id.get()) : OptionalLong.empty();
    }

    /** Asterisk-Java's events to the watcher's plain calls. */
    private final class EventFeed implements ManagerEventListener {
        private final AmiCrossingWatcher watcher;

        EventFeed(AmiCrossingWatcher watcher) {
            this.watcher = watcher;
        }

        @Override
        public void onManagerEvent(ManagerEvent event) {
            try {
                if (event instanceof DialBeginEvent d) {
                    watcher.onDialBegin(d.getChannel(), d.getCallerIdNum(), d.getDialString());
                } else if (event instanceof DialEndEvent d) {
                    watcher.onDialEnd(d.getChannel());
                } else if (event instanceof HangupEvent h) {
                    watcher.onHangup(h.getChannel());
                } else if (event instanceof VarSetEvent v) {
                    watcher.onVarSet(v.getChannel(), v.getVariable(), v.getValue());
                } else if (event instanceof ConnectEvent) {
                    status.amiConnected(true);
                } else if (event instanceof DisconnectEvent) {
                    status.amiConnected(false);
                    watcher.onConnectionLost();
                    LOG.warn("AMI {}: connection lost; reconnecting", target);
                }
            } catch (RuntimeException e) {
                LOG.warn("AMI {}: event {} not handled: {}", target, event.getClass().getSimpleName(), e.toString());
            }
        }
    }
}
