package io.glareresolver.glare.impl.component;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.glareresolver.glare.api.GlareStatus;
import io.glareresolver.sip.api.InviteInterceptor;
import io.glareresolver.sip.api.RegistrationInterceptor;

/**
 * The DS component is what the SIP server and the console call; it hands every callback to the
 * resolver. A callback added to the SPI with a default body would otherwise silently do nothing
 * in the running server (the ladder once missed the 180 and the ACK of the 2xx that way).
 */
class GlareComponentDelegationTest {

    @Test
    void everyServiceMethodIsHandedToTheResolver() {
        List<String> missing = new ArrayList<>();
        for (Class<?> service : List.of(InviteInterceptor.class, RegistrationInterceptor.class, GlareStatus.class)) {
            for (Method m : service.getMethods()) {
                if (Modifier.isStatic(m.getModifiers())) {
                    continue;
                }
                try {
                    GlareComponent.class.getDeclaredMethod(m.getName(), m.getParameterTypes());
                } catch (NoSuchMethodException e) {
                    missing.add(service.getSimpleName() + "." + m.getName());
                }
            }
        }
        assertTrue(missing.isEmpty(), "GlareComponent does not pass on: " + missing);
    }
}
