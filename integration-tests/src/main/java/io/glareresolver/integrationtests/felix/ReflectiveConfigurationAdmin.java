package io.glareresolver.integrationtests.felix;

import java.lang.reflect.InvocationTargetException;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.Map;
import java.util.Optional;

import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;

/**
 * Config Admin seen from outside the framework. Its API package lives in the configadmin bundle,
 * not on the test class path (only API packages of our own are shared), so the calls go through
 * reflection on the interface the bundle itself loaded.
 */
public final class ReflectiveConfigurationAdmin {

    static final String CONFIGURATION_ADMIN = "org.osgi.service.cm.ConfigurationAdmin";

    private final BundleContext context;

    public ReflectiveConfigurationAdmin(BundleContext context) {
        this.context = context;
    }

    /** True once a Config Admin service is registered. */
    public boolean available() {
        return context.getServiceReference(CONFIGURATION_ADMIN) != null;
    }

    /** Creates or updates the (unbound) configuration of a PID. */
    public void update(String pid, Map<String, ?> properties) {
        withAdmin((admin, api) -> {
            Object configuration = api.getMethod("getConfiguration", String.class, String.class).invoke(admin, pid, null);
            Class<?> configurationApi = api.getClassLoader().loadClass("org.osgi.service.cm.Configuration");
            configurationApi.getMethod("update", Dictionary.class).invoke(configuration, new Hashtable<>(properties));
            return null;
        });
    }

    /** The current properties of a PID's configuration, if it exists and has properties. */
    @SuppressWarnings("unchecked")
    public Optional<Dictionary<String, Object>> properties(String pid) {
        return Optional.ofNullable(withAdmin((admin, api) -> {
            Object[] found = (Object[]) api.getMethod("listConfigurations", String.class)
                    .invoke(admin, "(service.pid=" + pid + ")");
            if (found == null || found.length == 0) {
                return null;
            }
            Class<?> configurationApi = api.getClassLoader().loadClass("org.osgi.service.cm.Configuration");
            return (Dictionary<String, Object>) configurationApi.getMethod("getProperties").invoke(found[0]);
        }));
    }

    private interface AdminCall<T> {
        T call(Object admin, Class<?> api) throws ReflectiveOperationException;
    }

    private <T> T withAdmin(AdminCall<T> call) {
        ServiceReference<?> reference = context.getServiceReference(CONFIGURATION_ADMIN);
        if (reference == null) {
            throw new IllegalStateException("no " + CONFIGURATION_ADMIN + " service in the framework");
        }
        Object admin = context.getService(reference);
        try {
            Class<?> api = reference.getBundle().loadClass(CONFIGURATION_ADMIN);
            return call.call(admin, api);
        } catch (InvocationTargetException e) {
            throw new IllegalStateException("Config Admin call failed: " + e.getCause(), e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("Config Admin API not as expected: " + e, e);
        } finally {
            context.ungetService(reference);
        }
    }

}
