package io.glareresolver.integrationtests.felix;

import java.lang.annotation.Annotation;

import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.arquillian.test.spi.enricher.resource.ResourceProvider;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;

/**
 * {@code @ArquillianResource} injection for the embedded Felix. Arquillian does not tell
 * {@link ResourceProvider#lookup} which type is asked for, so there is one provider per type.
 */
public final class FelixResourceProviders {

    private FelixResourceProviders() {
    }

    /** The framework's (system bundle's) context. */
    public static final class BundleContextProvider implements ResourceProvider {
        @Override
        public boolean canProvide(Class<?> type) {
            return BundleContext.class.isAssignableFrom(type);
        }

        @Override
        public Object lookup(ArquillianResource resource, Annotation... qualifiers) {
            return FelixContainer.current().bundleContext();
        }
    }

    /** The bundle of the most recent deployment (null after it was undeployed). */
    public static final class BundleProvider implements ResourceProvider {
        @Override
        public boolean canProvide(Class<?> type) {
            return Bundle.class.isAssignableFrom(type);
        }

        @Override
        public Object lookup(ArquillianResource resource, Annotation... qualifiers) {
            Bundle bundle = FelixContainer.lastDeployed();
            return bundle != null ? bundle : FelixContainer.current().framework();
        }
    }

    /** The runtime itself: SIP address, users file, Config Admin, DS states. */
    public static final class RuntimeProvider implements ResourceProvider {
        @Override
        public boolean canProvide(Class<?> type) {
            return EmbeddedGlareRuntime.class.isAssignableFrom(type);
        }

        @Override
        public Object lookup(ArquillianResource resource, Annotation... qualifiers) {
            return FelixContainer.current();
        }
    }
}
