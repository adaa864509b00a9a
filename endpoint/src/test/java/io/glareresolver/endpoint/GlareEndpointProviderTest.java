package io.glareresolver.endpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.glareresolver.protocol.Contender;
import java.lang.reflect.InvocationTargetException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.ServiceLoader;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How {@link GlareEndpoint.Builder#build()} finds its implementation: the jar's service file names
 * the JAIN-SIP user agent, and a class path without one fails with a message that says which file is
 * missing (rather than a bare {@code NoSuchElementException}).
 */
class GlareEndpointProviderTest {

    @Test
    void theJarNamesTheSipUserAgentAsItsOnlyProvider() {
        List<String> providers = ServiceLoader.load(GlareEndpointProvider.class, GlareEndpointProvider.class.getClassLoader())
                .stream().map(p -> p.type().getName()).toList();
        assertEquals(List.of("io.glareresolver.endpoint.internal.SipGlareEndpointProvider"), providers);
    }

    @Test
    void buildWithoutAProviderSaysWhichFileIsMissing(@TempDir Path apiOnly) throws Exception {
        // the API and the state machine without internal/ and META-INF/services: an API jar on its own
        Path classes = Path.of(GlareEndpoint.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Path api = classes.resolve("io/glareresolver/endpoint");
        try (Stream<Path> files = Files.walk(api)) {
            for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
                Path rel = api.relativize(f);
                if (rel.getNameCount() == 1 || rel.startsWith("fsm")) {
                    Path copy = apiOnly.resolve("io/glareresolver/endpoint").resolve(rel);
                    Files.createDirectories(copy.getParent());
                    Files.copy(f, copy);
                }
            }
        }
        URL protocol = Contender.class.getProtectionDomain().getCodeSource().getLocation();
        try (URLClassLoader loader = new URLClassLoader(new URL[] {apiOnly.toUri().toURL(), protocol},
                ClassLoader.getPlatformClassLoader())) {
            Class<?> endpoint = loader.loadClass(GlareEndpoint.class.getName());
            Object builder = endpoint.getMethod("builder").invoke(null);
            builder.getClass().getMethod("user", String.class).invoke(builder, "alice");
            InvocationTargetException thrown = assertThrows(InvocationTargetException.class,
                    () -> builder.getClass().getMethod("build").invoke(builder));
            IllegalStateException missing = assertInstanceOf(IllegalStateException.class, thrown.getCause());
            assertTrue(missing.getMessage().contains("META-INF/services/io.glareresolver.endpoint.GlareEndpointProvider"),
                    missing.getMessage());
        }
    }
}
