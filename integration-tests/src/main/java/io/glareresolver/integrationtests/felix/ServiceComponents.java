package io.glareresolver.integrationtests.felix;

import java.lang.reflect.Array;
import java.lang.reflect.InvocationTargetException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;

/**
 * The Declarative Services components of a bundle as the framework's
 * {@code ServiceComponentRuntime} reports them (its DTOs, read by reflection because the
 * {@code org.osgi.service.component.runtime} package is not shared with the test class path).
 */
public final class ServiceComponents {

    static final String SERVICE_COMPONENT_RUNTIME = "org.osgi.service.component.runtime.ServiceComponentRuntime";

    /** {@code ComponentConfigurationDTO} states (OSGi Compendium 112.11). */
    public enum ConfigurationState {
        UNSATISFIED_CONFIGURATION(1), UNSATISFIED_REFERENCE(2), SATISFIED(4), ACTIVE(8), FAILED_ACTIVATION(16), UNKNOWN(-1);

        private final int code;

        ConfigurationState(int code) {
            this.code = code;
        }

        static ConfigurationState of(int code) {
            for (ConfigurationState state : values()) {
                if (state.code == code) {
                    return state;
                }
            }
            return UNKNOWN;
        }

        /** Satisfied and either activated or ready to activate on first use (a delayed component). */
        public boolean usable() {
            return this == SATISFIED || this == ACTIVE;
        }
    }

    /**
     * One component of a bundle.
     *
     * @param name            component name
     * @param enabled         whether the component is enabled
     * @param states          states of its configurations (empty if none was created yet)
     * @param unsatisfied     names of its unsatisfied references, over all configurations
     * @param boundServices   ids of the services bound to its satisfied references, over all configurations
     * @param failure         activation failure text, if any
     */
    public record Component(String name, boolean enabled, List<ConfigurationState> states, List<String> unsatisfied,
                            List<Long> boundServices, String failure) {

        /** True if the component has a configuration and every configuration is satisfied or active. */
        public boolean usable() {
            return enabled && !states.isEmpty() && states.stream().allMatch(ConfigurationState::usable);
        }

        @Override
        public String toString() {
            return name + (enabled ? "" : " (disabled)") + " " + states
                    + (unsatisfied.isEmpty() ? "" : " unsatisfied " + unsatisfied)
                    + (failure == null ? "" : " failure: " + failure);
        }
    }

    private final BundleContext context;

    public ServiceComponents(BundleContext context) {
        this.context = context;
    }

    /** The components described by a bundle; empty if SCR is absent or the bundle has none. */
    public List<Component> of(Bundle bundle) {
        ServiceReference<?> reference = context.getServiceReference(SERVICE_COMPONENT_RUNTIME);
        if (reference == null) {
            throw new IllegalStateException("no " + SERVICE_COMPONENT_RUNTIME + " service: is SCR installed and active?");
        }
        Object scr = context.getService(reference);
        try {
            Class<?> api = reference.getBundle().loadClass(SERVICE_COMPONENT_RUNTIME);
            Class<?> descriptionType = reference.getBundle().loadClass("org.osgi.service.component.runtime.dto.ComponentDescriptionDTO");
            Object bundles = Array.newInstance(Bundle.class, 1);
            Array.set(bundles, 0, bundle);
            Collection<?> descriptions = (Collection<?>) api.getMethod("getComponentDescriptionDTOs", bundles.getClass())
                    .invoke(scr, bundles);
            List<Component> result = new ArrayList<>();
            for (Object description : descriptions) {
                String name = (String) descriptionType.getField("name").get(description);
                boolean enabled = (Boolean) api.getMethod("isComponentEnabled", descriptionType).invoke(scr, description);
                Collection<?> configurations = (Collection<?>) api.getMethod("getComponentConfigurationDTOs", descriptionType)
                        .invoke(scr, description);
                List<ConfigurationState> states = new ArrayList<>();
                List<String> unsatisfied = new ArrayList<>();
                List<Long> bound = new ArrayList<>();
                String failure = null;
                for (Object configuration : configurations) {
                    Class<?> type = configuration.getClass();
                    states.add(ConfigurationState.of(type.getField("state").getInt(configuration)));
                    Object[] missing = (Object[]) type.getField("unsatisfiedReferences").get(configuration);
                    if (missing != null) {
                        for (Object reference1 : missing) {
                            unsatisfied.add((String) reference1.getClass().getField("name").get(reference1));
                        }
                    }
                    Object[] satisfied = (Object[]) type.getField("satisfiedReferences").get(configuration);
                    if (satisfied != null) {
                        for (Object reference1 : satisfied) {
                            Object[] services = (Object[]) reference1.getClass().getField("boundServices").get(reference1);
                            for (Object service : services == null ? new Object[0] : services) {
                                bound.add(service.getClass().getField("id").getLong(service));
                            }
                        }
                    }
                    try {
                        Object text = type.getField("failure").get(configuration);
                        if (text != null) {
                            failure = text.toString();
                        }
                    } catch (NoSuchFieldException olderScr) {
                        // DS 1.4 DTOs have no failure field
                    }
                }
                result.add(new Component(name, enabled, List.copyOf(states), List.copyOf(unsatisfied), List.copyOf(bound), failure));
            }
            return result;
        } catch (InvocationTargetException e) {
            throw new IllegalStateException("ServiceComponentRuntime call failed: " + e.getCause(), e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("ServiceComponentRuntime API not as expected: " + e, e);
        } finally {
            context.ungetService(reference);
        }
    }
}
