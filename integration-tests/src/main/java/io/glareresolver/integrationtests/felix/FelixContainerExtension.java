package io.glareresolver.integrationtests.felix;

import org.jboss.arquillian.container.spi.client.container.DeployableContainer;
import org.jboss.arquillian.core.spi.LoadableExtension;
import org.jboss.arquillian.test.spi.enricher.resource.ResourceProvider;

/** Registers the embedded Felix container and its resource providers with Arquillian. */
public class FelixContainerExtension implements LoadableExtension {

    @Override
    public void register(ExtensionBuilder builder) {
        builder.service(DeployableContainer.class, FelixContainer.class)
                .service(ResourceProvider.class, FelixResourceProviders.BundleContextProvider.class)
                .service(ResourceProvider.class, FelixResourceProviders.BundleProvider.class)
                .service(ResourceProvider.class, FelixResourceProviders.RuntimeProvider.class);
    }
}
