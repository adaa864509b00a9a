package io.glareresolver.integrationtests.interceptor;

import java.util.Hashtable;

import org.osgi.framework.BundleActivator;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;

import io.glareresolver.sip.api.InviteInterceptor;

/**
 * Registers {@link MarkingInterceptor} as a whiteboard service. (A test bundle built by ShrinkWrap
 * has no bnd step to generate DS XML; products use DS.) The marker carries the bundle id, so a
 * test can tell which deployment marked an INVITE.
 */
public final class MarkingInterceptorActivator implements BundleActivator {

    private ServiceRegistration<InviteInterceptor> registration;

    @Override
    public void start(BundleContext context) {
        Hashtable<String, Object> properties = new Hashtable<>();
        properties.put("io.glareresolver.test", "marking-interceptor");
        registration = context.registerService(InviteInterceptor.class,
                new MarkingInterceptor("bound;bundle=" + context.getBundle().getBundleId()), properties);
    }

    @Override
    public void stop(BundleContext context) {
        if (registration != null) {
            registration.unregister();
            registration = null;
        }
    }
}
