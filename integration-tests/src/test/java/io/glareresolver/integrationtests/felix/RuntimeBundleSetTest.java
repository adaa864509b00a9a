package io.glareresolver.integrationtests.felix;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RuntimeBundleSetTest {

    @TempDir
    Path runtime;

    @Test
    void readsBundlesByStartLevelAndTheirExports() throws IOException {
        jar(runtime.resolve("bundle/3/b.jar"), "io.glareresolver.sip.api;version=\"1.2.0\";uses:=\"a.b,c.d\",x.plain");
        jar(runtime.resolve("bundle/1/a.jar"), null);
        jar(runtime.resolve("bundle/2/c.jar"), null);
        Files.createDirectories(runtime.resolve("bundle/notalevel"));
        jar(runtime.resolve("deploy/plugin.jar"), null);

        RuntimeBundleSet set = RuntimeBundleSet.read(runtime);

        assertEquals(List.of("a.jar:1", "c.jar:2", "b.jar:3", "plugin.jar:3"),
                set.bundles().stream().map(b -> b.jar().getFileName() + ":" + b.startLevel()).toList());
        assertEquals(3, set.maxStartLevel());
        assertEquals(Optional.of("1.2.0"), set.exportedVersion("io.glareresolver.sip.api"));
        assertEquals(Optional.of("0.0.0"), set.exportedVersion("x.plain"));
        assertEquals(Optional.empty(), set.exportedVersion("a.b"));
    }

    @Test
    void sharedPackagesExportAboveTheRuntimesOwnVersion() throws IOException {
        jar(runtime.resolve("bundle/3/b.jar"), "p.three;version=1.2.0,p.two;version=\"1.2\",p.qualified;version=1.2.0.q");
        RuntimeBundleSet set = RuntimeBundleSet.read(runtime);

        assertEquals("p.three;version=1.2.0.shared,p.two;version=1.2.0.shared,p.qualified;version=1.2.0.q-shared",
                EmbeddedGlareRuntime.sharedPackages(set, List.of("p.three", "p.two", "p.qualified")));
        IllegalStateException missing = assertThrows(IllegalStateException.class,
                () -> EmbeddedGlareRuntime.sharedPackages(set, List.of("not.exported")));
        assertTrue(missing.getMessage().contains("not.exported"), missing.getMessage());
    }

    @Test
    void resolvesVariablesInTheFrameworkProperties() throws IOException {
        jar(runtime.resolve("bundle/1/a.jar"), null);
        Files.createDirectories(runtime.resolve("conf"));
        Files.writeString(runtime.resolve("conf/config.properties"),
                "org.osgi.framework.storage=${glare.home}/felix-cache\nfelix.fileinstall.dir=${glare.home}/deploy,${glare.home}/etc\nplain=value\n");

        RuntimeBundleSet set = RuntimeBundleSet.read(runtime, Map.of("glare.home", "/w"));

        assertEquals("/w/felix-cache", set.properties().get("org.osgi.framework.storage"));
        assertEquals("/w/deploy,/w/etc", set.properties().get("felix.fileinstall.dir"));
        assertEquals("value", set.properties().get("plain"));
    }

    @Test
    void aMissingRuntimeSaysHowToBuildIt() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> RuntimeBundleSet.read(runtime.resolve("nothing")));
        assertTrue(e.getMessage().contains("mvn -q -pl sip-server,felix-config install"), e.getMessage());
    }

    private static void jar(Path file, String exportPackage) throws IOException {
        Files.createDirectories(file.getParent());
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        manifest.getMainAttributes().putValue("Bundle-SymbolicName", file.getFileName().toString());
        if (exportPackage != null) {
            manifest.getMainAttributes().putValue("Export-Package", exportPackage);
        }
        try (OutputStream out = Files.newOutputStream(file); JarOutputStream jar = new JarOutputStream(out, manifest)) {
            jar.flush();
        }
    }
}
