package io.glareresolver.integrationtests.asterisk;

import io.glareresolver.integrationtests.felix.BoundedWait;
import io.glareresolver.integrationtests.felix.EmbeddedGlareRuntime;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;

import java.io.IOException;
import java.lang.reflect.Method;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeoutException;

/**
 * The PBX side of the glare plugin in the embedded runtime, reached from outside the framework
 * (its packages are not shared with the test class path): configurations by Config Admin, the
 * {@code PbxStatus} counters by reflection.
 */
final class PbxInRuntime {

    static final String BSN = "io.glareresolver.glare";
    static final String AGI_PID = "io.glareresolver.glare.pbx.agi";
    static final String AMI_PID = "io.glareresolver.glare.pbx.ami";
    static final String STATUS = "io.glareresolver.glare.pbx.PbxStatus";

    private PbxInRuntime() {
    }

    static Bundle plugin(BundleContext context) throws Exception {
        for (Bundle b : context.getBundles()) {
            if (BSN.equals(b.getSymbolicName())) {
                if (b.getState() != Bundle.ACTIVE) {
                    b.start();
                }
                return b;
            }
        }
        throw new AssertionError("no " + BSN + " bundle in the runtime");
    }

    static Bundle bundle(BundleContext context, String bsn) {
        for (Bundle b : context.getBundles()) {
            if (bsn.equals(b.getSymbolicName())) {
                return b;
            }
        }
        throw new AssertionError("no bundle " + bsn);
    }

    /** Deletes a configuration (the component it enabled goes away: configurationPolicy REQUIRE). */
    static void delete(BundleContext context, String pid) throws Exception {
        ServiceReference<?> ref = context.getServiceReference("org.osgi.service.cm.ConfigurationAdmin");
        if (ref == null) {
            return;
        }
        Object admin = context.getService(ref);
        try {
            Class<?> api = admin.getClass().getClassLoader().loadClass("org.osgi.service.cm.ConfigurationAdmin");
            Object[] found = (Object[]) api.getMethod("listConfigurations", String.class)
                    .invoke(admin, "(service.pid=" + pid + ")");
            if (found != null) {
                Class<?> cfg = api.getClassLoader().loadClass("org.osgi.service.cm.Configuration");
                for (Object c : found) {
                    cfg.getMethod("delete").invoke(c);
                }
            }
        } finally {
            context.ungetService(ref);
        }
    }

    static void configure(EmbeddedGlareRuntime runtime, String pid, Map<String, ?> properties) {
        runtime.configurationAdmin().update(pid, properties);
    }

    /** A counter of {@code PbxStatus.counters()} by its record component name, e.g. {@code amiResolved}. */
    static long counter(BundleContext context, String name) throws Exception {
        Object v = counters(context).getClass().getMethod(name).invoke(counters(context));
        return v instanceof Boolean b ? (b ? 1 : 0) : ((Number) v).longValue();
    }

    static Object counters(BundleContext context) throws Exception {
        ServiceReference<?> ref = context.getServiceReference(STATUS);
        if (ref == null) {
            throw new AssertionError("no " + STATUS + " service");
        }
        Object status = context.getService(ref);
        try {
            Method m = status.getClass().getMethod("counters");
            m.setAccessible(true);
            return m.invoke(status);
        } finally {
            context.ungetService(ref);
        }
    }

    /** The recent crossings, as their {@code toString()} (a record). */
    static java.util.List<?> recentCrossings(BundleContext context) throws Exception {
        ServiceReference<?> ref = context.getServiceReference(STATUS);
        Object status = context.getService(ref);
        try {
            Method m = status.getClass().getMethod("recentCrossings");
            m.setAccessible(true);
            return (java.util.List<?>) m.invoke(status);
        } finally {
            context.ungetService(ref);
        }
    }

    /** Waits (bounded) until something accepts TCP connections on 127.0.0.1:{@code port}. */
    static void awaitListening(int port, Duration timeout) throws TimeoutException {
        BoundedWait.untilTrue("a listener on 127.0.0.1:" + port, timeout, () -> {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 500);
                return true;
            } catch (IOException e) {
                return false;
            }
        });
    }
}
