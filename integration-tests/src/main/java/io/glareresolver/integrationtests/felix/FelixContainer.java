package io.glareresolver.integrationtests.felix;

import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.jboss.arquillian.container.spi.client.container.DeployableContainer;
import org.jboss.arquillian.container.spi.client.container.DeploymentException;
import org.jboss.arquillian.container.spi.client.container.LifecycleException;
import org.jboss.arquillian.container.spi.client.protocol.ProtocolDescription;
import org.jboss.arquillian.container.spi.client.protocol.metadata.ProtocolMetaData;
import org.jboss.shrinkwrap.api.Archive;
import org.jboss.shrinkwrap.api.exporter.ZipExporter;
import org.osgi.framework.Bundle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Arquillian container: the product's runtime in an embedded Felix ({@link EmbeddedGlareRuntime}).
 * Deploying a ShrinkWrap archive installs and starts it as a bundle (it needs a manifest with
 * {@code Bundle-SymbolicName}); undeploying uninstalls it, refreshes the wiring and waits.
 *
 * <p>Tests run on the client side ({@code @Deployment(testable = false)} or {@code @RunAsClient}) and
 * reach the framework through {@code @ArquillianResource BundleContext}, {@code Bundle} (the last
 * deployed bundle) and {@code EmbeddedGlareRuntime} (ports, users file, services).
 */
public class FelixContainer implements DeployableContainer<FelixContainerConfiguration> {

    private static final Logger LOG = LoggerFactory.getLogger(FelixContainer.class);

    // Read by the resource providers. One container per JVM (Arquillian allows one
    // DeployableContainer on the class path), so a static handle is the simplest correct link.
    private static volatile EmbeddedGlareRuntime current;
    private static volatile Bundle lastDeployed;

    private final Map<String, Bundle> deployed = new ConcurrentHashMap<>();
    private FelixContainerConfiguration configuration;

    static EmbeddedGlareRuntime current() {
        EmbeddedGlareRuntime runtime = current;
        if (runtime == null) {
            throw new IllegalStateException("the embedded Felix container is not started");
        }
        return runtime;
    }

    static Bundle lastDeployed() {
        return lastDeployed;
    }

    @Override
    public Class<FelixContainerConfiguration> getConfigurationClass() {
        return FelixContainerConfiguration.class;
    }

    @Override
    public void setup(FelixContainerConfiguration configuration) {
        this.configuration = configuration;
    }

    @Override
    public ProtocolDescription getDefaultProtocol() {
        // exactly "Local": any other name silently leaves @ArquillianResource fields null
        return new ProtocolDescription("Local");
    }

    @Override
    public void start() throws LifecycleException {
        EmbeddedGlareRuntime runtime = EmbeddedGlareRuntime.builder()
                .runtimeDir(Path.of(configuration.getRuntimeDir()))
                .workDir(Path.of(configuration.getWorkDir()))
                .sipPort(configuration.getSipPort())
                .systemPackagesExtra(configuration.getSystemPackagesExtra())
                .sharedPackages(Arrays.stream(configuration.getSharedPackages().split(","))
                        .map(String::trim).filter(p -> !p.isEmpty()).toList())
                .webConsole(configuration.isWebConsole())
                .timeout(Duration.ofSeconds(configuration.getTimeoutSeconds()))
                .build();
        try {
            runtime.start();
        } catch (Exception e) {
            try {
                runtime.stop();
            } catch (InterruptedException interrupted) {
                Thread.currentThread().interrupt();
            }
            throw new LifecycleException("embedded Felix did not start: " + e.getMessage(), e);
        }
        current = runtime;
    }

    @Override
    public void stop() throws LifecycleException {
        EmbeddedGlareRuntime runtime = current;
        current = null;
        lastDeployed = null;
        if (runtime != null) {
            try {
                runtime.stop();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new LifecycleException("interrupted while stopping the embedded Felix", e);
            }
        }
    }

    @Override
    public ProtocolMetaData deploy(Archive<?> archive) throws DeploymentException {
        String location = "arquillian:" + archive.getName();
        try (InputStream content = archive.as(ZipExporter.class).exportAsInputStream()) {
            Bundle bundle = current().deploy(location, content);
            deployed.put(archive.getName(), bundle);
            lastDeployed = bundle;
            LOG.info("deployed {} as bundle {} [{}], state {}", archive.getName(), bundle.getSymbolicName(),
                    bundle.getBundleId(), bundle.getState());
            return new ProtocolMetaData();
        } catch (Exception e) {
            throw new DeploymentException("cannot deploy " + archive.getName() + " as a bundle: " + e.getMessage(), e);
        }
    }

    @Override
    public void undeploy(Archive<?> archive) throws DeploymentException {
        Bundle bundle = deployed.remove(archive.getName());
        if (bundle == null) {
            return;
        }
        try {
            current().undeploy(bundle);
            if (lastDeployed == bundle) {
                lastDeployed = null;
            }
            LOG.info("undeployed {} (bundle {})", archive.getName(), bundle.getBundleId());
        } catch (Exception e) {
            throw new DeploymentException("cannot undeploy " + archive.getName() + ": " + e.getMessage(), e);
        }
    }
}
