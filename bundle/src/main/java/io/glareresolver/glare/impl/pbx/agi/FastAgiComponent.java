package io.glareresolver.glare.impl.pbx.agi;

import io.glareresolver.glare.impl.crossing.TiebreakSource;
import io.glareresolver.glare.impl.pbx.PbxStatusComponent;
import io.glareresolver.glare.impl.pbx.PendingPbxCalls;
import io.glareresolver.glare.pbx.PbxStatus;
import io.glareresolver.sip.api.LocationService;
import org.asteriskjava.fastagi.AgiScript;
import org.asteriskjava.fastagi.AgiServerThread;
import org.asteriskjava.fastagi.DefaultAgiServer;
import org.asteriskjava.fastagi.SimpleMappingStrategy;
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

import java.io.IOException;
import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Asterisk-Java's FastAGI server inside the runtime, serving the scripts {@code glare} and
 * {@code glare-end}. Off unless configuration {@value PbxStatus#AGI_PID} exists. A changed
 * {@code tiebreak.source} applies in place; a change of what the server listens with (address,
 * port, timeouts, pool, pending table) restarts it, and the PBX's requests in that moment are refused.
 */
@Component(configurationPid = PbxStatus.AGI_PID, configurationPolicy = ConfigurationPolicy.REQUIRE, service = {})
@Designate(ocd = FastAgiConfig.class)
public final class FastAgiComponent {

    private static final Logger LOG = LoggerFactory.getLogger(FastAgiComponent.class);

    @Reference
    private PbxStatusComponent status;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile LocationService locations;

    private DefaultAgiServer server;
    private AgiServerThread thread;
    private GlareAgiScript glare;
    private FastAgiConfig current;

    @Activate
    void activate(FastAgiConfig config, Map<String, Object> properties) throws IOException {
        TiebreakSource source = source(config);
        PendingPbxCalls pending = new PendingPbxCalls(Duration.ofMillis(config.pending_timeout()), config.pending_maximum());
        GlareAgiScript script = new GlareAgiScript(pending, status, this::registrarId, source, Clock.systemUTC());
        SimpleMappingStrategy mapping = new SimpleMappingStrategy();
        // a HashMap: a request without agi_network_script looks up null (Map.of would throw, no AGI answer)
        Map<String, AgiScript> scripts = new HashMap<>();
        scripts.put(AgiVariables.SCRIPT_GLARE, script);
        scripts.put(AgiVariables.SCRIPT_GLARE_END, script.endScript());
        mapping.setMappings(scripts);
        DefaultAgiServer s = new DefaultAgiServer(mapping);
        s.setAddress(InetAddress.getByName(config.bind_address()));
        s.setPort(config.port());
        // a peer that stops talking mid-request must not hold a worker for ever
        s.setSocketReadTimeout((int) Math.max(1000, Math.min(Integer.MAX_VALUE, config.read_timeout())));
        s.setMaximumPoolSize(Math.max(1, config.pool_size()));
        s.setPoolSize(Math.max(1, Math.min(config.pool_size(), 4)));
        AgiServerThread t = new AgiServerThread(s);
        t.setDaemon(true);
        t.startup();
        server = s;
        thread = t;
        glare = script;
        current = config;
        LOG.info("FastAGI server listening on {}:{} (scripts {}, {}), tiebreak.source={}", config.bind_address(),
                config.port(), AgiVariables.SCRIPT_GLARE, AgiVariables.SCRIPT_GLARE_END, source.token());
    }

    /** Only the policy changed: apply it to the running script; otherwise restart the server. */
    @Modified
    void modified(FastAgiConfig config, Map<String, Object> properties) throws IOException {
        if (sameServer(current, config)) {
            TiebreakSource source = source(config);
            glare.source(source);
            current = config;
            LOG.info("FastAGI tiebreak.source={} (applied without restarting the server)", source.token());
            return;
        }
        deactivate();
        activate(config, properties);
    }

    private static boolean sameServer(FastAgiConfig a, FastAgiConfig b) {
        return a.bind_address().equals(b.bind_address()) && a.port() == b.port()
                && a.read_timeout() == b.read_timeout() && a.pool_size() == b.pool_size()
                && a.pending_timeout() == b.pending_timeout() && a.pending_maximum() == b.pending_maximum();
    }

    private static TiebreakSource source(FastAgiConfig config) {
        return TiebreakSource.fromToken(config.tiebreak_source()).orElseGet(() -> {
            LOG.error("FastAGI: tiebreak.source '{}' unknown, using endpoint", config.tiebreak_source());
            return TiebreakSource.ENDPOINT;
        });
    }

    @Deactivate
    void deactivate() {
        try {
            thread.shutdown();
        } catch (RuntimeException e) {
            LOG.warn("FastAGI server stop: {}", e.toString());
        }
        LOG.info("FastAGI server stopped");
    }

    private OptionalLong registrarId(String extension) {
        LocationService l = locations;
        if (l == null) {
            return OptionalLong.empty();
        }
        Optional<Long> id = l.endpointId(extension);
        return id.isPresent() ? OptionalLong.of(id.get()) : OptionalLong.empty();
    }
}
