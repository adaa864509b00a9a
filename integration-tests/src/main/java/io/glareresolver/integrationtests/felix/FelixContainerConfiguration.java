package io.glareresolver.integrationtests.felix;

import java.nio.file.Files;
import java.nio.file.Path;

import org.jboss.arquillian.container.spi.ConfigurationException;
import org.jboss.arquillian.container.spi.client.container.ContainerConfiguration;

/**
 * Settings of the embedded Felix container, from {@code arquillian.xml}
 * ({@code <container qualifier="felix"><configuration><property name="...">}). Every setting has a
 * default; {@code runtimeDir} also reads the system property {@value #RUNTIME_DIR_PROPERTY}.
 */
public class FelixContainerConfiguration implements ContainerConfiguration {

    /** System property naming the assembled runtime folder. */
    public static final String RUNTIME_DIR_PROPERTY = "glare.runtime.dir";
    /** System property naming the work folder (framework storage, etc/, deploy/). */
    public static final String WORK_DIR_PROPERTY = "glare.test.work.dir";

    private String runtimeDir = System.getProperty(RUNTIME_DIR_PROPERTY, "../felix-config/target/glare-runtime");
    private String workDir = System.getProperty(WORK_DIR_PROPERTY, "target/felix");
    private int sipPort;
    /** Raw system.packages.extra; null: {@link #sharedPackages} at their exported versions + ".shared". */
    private String systemPackagesExtra;
    /** Comma-separated API package names to share with the test class path (versions found in the runtime). */
    private String sharedPackages = String.join(",", EmbeddedGlareRuntime.DEFAULT_SHARED_PACKAGES);
    private boolean webConsole;
    private int timeoutSeconds = 60;

    @Override
    public void validate() throws ConfigurationException {
        if (!Files.isDirectory(Path.of(runtimeDir))) {
            throw new ConfigurationException("no assembled runtime at " + Path.of(runtimeDir).toAbsolutePath().normalize()
                    + ": build it with `mvn -q -pl sip-server,felix-config install -DskipTests`"
                    + " or set -D" + RUNTIME_DIR_PROPERTY + "=<runtime folder>");
        }
        if (sipPort < 0 || sipPort > 65535) {
            throw new ConfigurationException("sipPort must be 0 (a free port) or a port number, not " + sipPort);
        }
        if (timeoutSeconds <= 0) {
            throw new ConfigurationException("timeoutSeconds must be positive");
        }
    }

    public String getRuntimeDir() {
        return runtimeDir;
    }

    public void setRuntimeDir(String runtimeDir) {
        this.runtimeDir = runtimeDir;
    }

    public String getWorkDir() {
        return workDir;
    }

    public void setWorkDir(String workDir) {
        this.workDir = workDir;
    }

    public int getSipPort() {
        return sipPort;
    }

    public void setSipPort(int sipPort) {
        this.sipPort = sipPort;
    }

    public String getSystemPackagesExtra() {
        return systemPackagesExtra;
    }

    public void setSystemPackagesExtra(String systemPackagesExtra) {
        this.systemPackagesExtra = systemPackagesExtra;
    }

    public String getSharedPackages() {
        return sharedPackages;
    }

    public void setSharedPackages(String sharedPackages) {
        this.sharedPackages = sharedPackages;
    }

    public boolean isWebConsole() {
        return webConsole;
    }

    public void setWebConsole(boolean webConsole) {
        this.webConsole = webConsole;
    }

    public int getTimeoutSeconds() {
        return timeoutSeconds;
    }

    public void setTimeoutSeconds(int timeoutSeconds) {
        this.timeoutSeconds = timeoutSeconds;
    }
}
