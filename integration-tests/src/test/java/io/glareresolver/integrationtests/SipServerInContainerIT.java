package io.glareresolver.integrationtests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

import org.jboss.arquillian.container.test.api.Deployer;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.ShrinkWrap;
import org.jboss.shrinkwrap.api.asset.StringAsset;
import org.jboss.shrinkwrap.api.spec.JavaArchive;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;

import io.glareresolver.integrationtests.felix.BoundedWait;
import io.glareresolver.integrationtests.felix.EmbeddedGlareRuntime;
import io.glareresolver.integrationtests.felix.RuntimeBundleSet;
import io.glareresolver.integrationtests.felix.ServiceComponents;
import io.glareresolver.integrationtests.interceptor.MarkingInterceptor;
import io.glareresolver.integrationtests.interceptor.MarkingInterceptorActivator;
import io.glareresolver.integrationtests.netsip.NetSipScript;
import io.glareresolver.integrationtests.netsip.NetSipScript.Run;
import io.glareresolver.sip.api.InviteInterceptor;
import io.glareresolver.sip.api.LocationService;
import io.glareresolver.sip.api.Registration;

/**
 * The sip-server bundle in the real runtime's bundle set (embedded Felix, see
 * {@link io.glareresolver.integrationtests.felix.FelixContainer}): it resolves and starts, its DS
 * components are active, and an interceptor plugin deployed at run time is bound (a real INVITE
 * carries its mark) and unbound on undeploy (the same INVITE goes through plainly), while a
 * registration made before stays in the location service throughout.
 */
@ExtendWith(ArquillianExtension.class)
class SipServerInContainerIT {

    private static final String INTERCEPTOR = "marking-interceptor";
    private static final Duration SCRIPT_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration BIND_TIMEOUT = Duration.ofSeconds(10);

    @ArquillianResource
    private BundleContext context;

    @ArquillianResource
    private EmbeddedGlareRuntime runtime;

    @ArquillianResource
    private Deployer deployer;

    /** The test plugin: an InviteInterceptor registered by a BundleActivator, importing only the SPI. */
    @Deployment(name = INTERCEPTOR, managed = false, testable = false)
    static JavaArchive markingInterceptor() {
        String manifest = String.join("\n",
                "Manifest-Version: 1.0",
                "Bundle-ManifestVersion: 2",
                "Bundle-SymbolicName: io.glareresolver.integrationtests.marking-interceptor",
                "Bundle-Version: 1.0.0",
                "Bundle-Activator: " + MarkingInterceptorActivator.class.getName(),
                "Import-Package: io.glareresolver.sip.api;version=\"[1.0,2)\", org.osgi.framework;version=\"[1.8,2)\"",
                "") + "\n";
        return ShrinkWrap.create(JavaArchive.class, "marking-interceptor.jar")
                .addClasses(MarkingInterceptor.class, MarkingInterceptorActivator.class)
                .setManifest(new StringAsset(manifest));
    }

    @BeforeAll
    static void netSipInstalled() {
        NetSipScript.requireNetSip(); // the interceptor test drives real calls with Net::SIP
    }

    @BeforeEach
    void users() throws Exception {
        assertNotNull(context, "no BundleContext injected: is the Felix container adapter on the class path?");
        TestUsers.install(runtime, locations());
    }

    @Test
    void everyRuntimeBundleIsActive() {
        RuntimeBundleSet set = runtime.bundleSet();
        List<String> notActive = Stream.of(context.getBundles())
                .filter(b -> b.getBundleId() != 0)
                .filter(b -> b.getHeaders().get("Fragment-Host") == null ? b.getState() != Bundle.ACTIVE : b.getState() != Bundle.RESOLVED)
                .filter(b -> !"org.apache.felix.webconsole".equals(b.getSymbolicName())) // off in tests: never admin/admin
                .map(b -> b.getSymbolicName() + " " + b.getVersion() + " state " + b.getState())
                .toList();
        assertTrue(notActive.isEmpty(), "bundles not active: " + notActive + "; framework errors: " + runtime.frameworkErrors());
        assertEquals(set.bundles().size(), context.getBundles().length - 1,
                "the embedded framework holds exactly the runtime's bundle set " + set.bundles());
        Bundle sipServer = runtime.sipServerBundle().orElseThrow(
                () -> new AssertionError("no bundle exports io.glareresolver.sip.api in " + set.root()));
        assertEquals(Bundle.ACTIVE, sipServer.getState(), "sip-server bundle state");
        assertEquals(3, sipServer.adapt(org.osgi.framework.startlevel.BundleStartLevel.class).getStartLevel(),
                "sip-server runs at the runtime's start level 3 (bundle/3/)");
    }

    @Test
    void webConsoleNeverAnswersTheBuiltInAdminLogin() throws Exception {
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + runtime.httpPort() + "/system/console/bundles"))
                .header("Authorization", "Basic " + Base64.getEncoder().encodeToString("admin:admin".getBytes(StandardCharsets.US_ASCII)))
                .timeout(Duration.ofSeconds(10)).GET().build();
        HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
        assertTrue(response.statusCode() == 401 || response.statusCode() == 403 || response.statusCode() == 404,
                "the test runtime's Web Console accepted admin/admin: HTTP " + response.statusCode());
    }

    @Test
    void sipServerComponentsAreActive() {
        Bundle sipServer = runtime.sipServerBundle().orElseThrow();
        List<ServiceComponents.Component> components = runtime.serviceComponents().of(sipServer);
        assertFalse(components.isEmpty(), "the sip-server bundle describes no DS components");
        List<ServiceComponents.Component> broken = components.stream().filter(c -> !c.usable()).toList();
        assertTrue(broken.isEmpty(), "sip-server components not satisfied/active: " + broken + " (all: " + components + ")");
        assertTrue(components.stream().anyMatch(c -> c.states().contains(ServiceComponents.ConfigurationState.ACTIVE)),
                "no sip-server component is active: " + components);

        ServiceReference<LocationService> reference = context.getServiceReference(LocationService.class);
        assertNotNull(reference, "no LocationService service (or not of the shared API class)");
        assertEquals(sipServer.getBundleId(), reference.getBundle().getBundleId(), "LocationService comes from sip-server");
    }

    @Test
    void interceptorIsBoundWhenDeployedAndUnboundWhenUndeployedWhileRegistrationsStay() throws Exception {
        LocationService locations = locations();
        String carol = TestUsers.aor(runtime, TestUsers.CAROL);

        // a registration made before the plugin comes
        Run registered = NetSipScript.run("register.pl", SCRIPT_TIMEOUT, "--proxy", runtime.sipAddress(),
                "--domain", runtime.domain(), "--user", TestUsers.CAROL.name(), "--password", TestUsers.CAROL.password(),
                "--expires", "600");
        registered.expect(TestUsers.CAROL.name(), "REGISTERED");
        Registration before = locations.lookup(carol)
                .orElseThrow(() -> new AssertionError("carol not in the LocationService after 200 OK\n" + registered.transcript()));

        // without the plugin: a plain INVITE
        assertFalse(markOnInvite(plainCall()).isPresent(), "an INVITE was marked before the interceptor was deployed");

        deployer.deploy(INTERCEPTOR);
        long serviceId;
        try {
            // the runtime's own glare plugin registers an InviteInterceptor too: take the deployed bundle's
            ServiceReference<InviteInterceptor> plugin = context.getServiceReferences(InviteInterceptor.class, null).stream()
                    .filter(r -> !"io.glareresolver.glare".equals(r.getBundle().getSymbolicName()))
                    .findFirst().orElse(null);
            assertNotNull(plugin, "the deployed bundle registered no InviteInterceptor");
            serviceId = (Long) plugin.getProperty("service.id");
            awaitBound(serviceId, true);
            Optional<String> mark = markOnInvite(plainCall());
            assertTrue(mark.isPresent() && mark.get().startsWith("bound"),
                    "the callee did not see " + MarkingInterceptor.MARKER_HEADER + " while the interceptor was bound: " + mark);
            assertSameRegistration(before, locations.lookup(carol), "after the interceptor was bound");
        } finally {
            deployer.undeploy(INTERCEPTOR);
        }

        awaitBound(serviceId, false);
        assertFalse(markOnInvite(plainCall()).isPresent(), "an INVITE was still marked after the interceptor was undeployed");
        assertSameRegistration(before, locations.lookup(carol), "after the interceptor was unbound");
    }

    // ------------------------------------------------------------------------------------------

    private LocationService locations() throws Exception {
        return runtime.awaitService(LocationService.class, Duration.ofSeconds(10));
    }

    /** A full call dave → erin; returns the run (the callee reports the marker header). */
    private Run plainCall() {
        Run run = NetSipScript.run("call.pl", SCRIPT_TIMEOUT, "--proxy", runtime.sipAddress(), "--domain", runtime.domain(),
                "--caller", TestUsers.credentials(TestUsers.DAVE, "MD5"),
                "--callee", TestUsers.credentials(TestUsers.ERIN, "MD5"),
                "--answer-after-ms", "100", "--show-header", MarkingInterceptor.MARKER_HEADER);
        run.expect("caller", "FINAL", e -> e.code() == 200, "with code 200");
        return run;
    }

    private static Optional<String> markOnInvite(Run run) {
        String value = run.expect("callee", "INVITE").get("header." + MarkingInterceptor.MARKER_HEADER.toLowerCase());
        return value == null || value.equals("<absent>") ? Optional.empty() : Optional.of(value);
    }

    /** Waits until SCR shows the service bound to (or gone from) a sip-server component reference. */
    private void awaitBound(long serviceId, boolean bound) throws Exception {
        Bundle sipServer = runtime.sipServerBundle().orElseThrow();
        ServiceComponents scr = runtime.serviceComponents();
        BoundedWait.untilTrue("InviteInterceptor service " + serviceId + (bound ? " bound to" : " unbound from")
                + " a sip-server component", BIND_TIMEOUT,
                () -> scr.of(sipServer).stream().anyMatch(c -> c.boundServices().contains(serviceId)) == bound);
    }

    private static void assertSameRegistration(Registration before, Optional<Registration> now, String when) {
        assertTrue(now.isPresent(), "carol's registration was lost " + when);
        assertEquals(before.bindings().stream().map(Registration.Binding::contact).toList(),
                now.get().bindings().stream().map(Registration.Binding::contact).toList(), "carol's contacts " + when);
        assertEquals(before.bindings().get(0).callId(), now.get().bindings().get(0).callId(),
                "carol's binding was replaced " + when);
    }
}
