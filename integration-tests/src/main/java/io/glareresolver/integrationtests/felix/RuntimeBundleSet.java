package io.glareresolver.integrationtests.felix;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.stream.Stream;

/**
 * The bundle set of an assembled {@code felix-config} runtime folder ({@code glare-runtime/}): the
 * bundles of {@code bundle/<start level>/*.jar} and {@code deploy/*.jar}, and the framework
 * properties of {@code conf/config.properties}. The embedded framework installs exactly these
 * bundles at exactly these start levels, so an in-container test runs what the product ships.
 *
 * @param root       the runtime folder
 * @param bundles    the bundles, ordered by start level, then file name
 * @param properties framework properties of {@code conf/config.properties} (empty if absent), with
 *                   {@code ${name}} references resolved against themselves and the system properties
 */
public record RuntimeBundleSet(Path root, List<RuntimeBundle> bundles, Map<String, String> properties) {

    /** One bundle jar of the runtime and the start level it is installed at. */
    public record RuntimeBundle(Path jar, int startLevel) {
    }

    public RuntimeBundleSet {
        bundles = List.copyOf(bundles);
        properties = Map.copyOf(properties);
    }

    /** Reads the runtime folder; fails with a message naming the missing part if it is not assembled. */
    public static RuntimeBundleSet read(Path root) {
        return read(root, Map.of());
    }

    /**
     * Reads the runtime folder; {@code variables} resolve {@code ${name}} in the framework properties
     * before the system properties do (e.g. {@code glare.home}, which {@code bin/start} sets).
     */
    public static RuntimeBundleSet read(Path root, Map<String, String> variables) {
        Path bundleDir = root.resolve("bundle");
        if (!Files.isDirectory(bundleDir)) {
            throw new IllegalStateException("no assembled runtime at " + root.toAbsolutePath().normalize()
                    + " (missing bundle/<start level>/ folders): build it first with"
                    + " `mvn -q -pl sip-server,felix-config install -DskipTests`, or point -D"
                    + FelixContainerConfiguration.RUNTIME_DIR_PROPERTY + " at an assembled runtime");
        }
        List<RuntimeBundle> bundles = new ArrayList<>();
        try (Stream<Path> levels = Files.list(bundleDir)) {
            for (Path level : levels.filter(Files::isDirectory).toList()) {
                int startLevel;
                try {
                    startLevel = Integer.parseInt(level.getFileName().toString());
                } catch (NumberFormatException notALevel) {
                    continue;
                }
                addJars(level, startLevel, bundles);
            }
            // what the runtime ships in deploy/ is hot-deployed after everything else has started
            Path deploy = root.resolve("deploy");
            if (Files.isDirectory(deploy)) {
                int last = bundles.stream().mapToInt(RuntimeBundle::startLevel).max().orElse(1);
                addJars(deploy, last, bundles);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the runtime's bundle folders under " + root, e);
        }
        bundles.sort(Comparator.comparingInt(RuntimeBundle::startLevel)
                .thenComparing(b -> b.jar().getFileName().toString()));
        if (bundles.isEmpty()) {
            throw new IllegalStateException("the runtime at " + root + " has no bundles under bundle/<level>/");
        }
        return new RuntimeBundleSet(root, bundles, readProperties(root.resolve("conf/config.properties"), variables));
    }

    /** The highest start level any bundle of the set is installed at. */
    public int maxStartLevel() {
        return bundles.stream().mapToInt(RuntimeBundle::startLevel).max().orElse(1);
    }

    /**
     * The version at which a bundle of the set exports a package ({@code Export-Package}), if one does.
     */
    public Optional<String> exportedVersion(String packageName) {
        for (RuntimeBundle bundle : bundles) {
            try (JarFile jar = new JarFile(bundle.jar().toFile())) {
                Manifest manifest = jar.getManifest();
                String exports = manifest == null ? null : manifest.getMainAttributes().getValue("Export-Package");
                if (exports == null) {
                    continue;
                }
                for (String clause : splitClauses(exports)) {
                    String[] parts = clause.split(";");
                    if (!parts[0].trim().equals(packageName)) {
                        continue;
                    }
                    for (String part : parts) {
                        String attribute = part.trim();
                        if (attribute.startsWith("version=")) {
                            return Optional.of(attribute.substring("version=".length()).replace("\"", "").trim());
                        }
                    }
                    return Optional.of("0.0.0");
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the manifest of " + bundle.jar(), e);
            }
        }
        return Optional.empty();
    }

    // Export-Package clauses are comma-separated, but a quoted attribute (uses:="a,b") may hold commas.
    private static List<String> splitClauses(String header) {
        List<String> clauses = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        boolean quoted = false;
        for (char c : header.toCharArray()) {
            if (c == '"') {
                quoted = !quoted;
            }
            if (c == ',' && !quoted) {
                clauses.add(current.toString());
                current.setLength(0);
            } else {
                current.append(c);
            }
        }
        clauses.add(current.toString());
        return clauses;
    }

    private static void addJars(Path dir, int startLevel, List<RuntimeBundle> into) throws IOException {
        try (Stream<Path> jars = Files.list(dir)) {
            jars.filter(p -> p.getFileName().toString().endsWith(".jar"))
                    .forEach(p -> into.add(new RuntimeBundle(p, startLevel)));
        }
    }

    private static Map<String, String> readProperties(Path file, Map<String, String> variables) {
        Map<String, String> result = new LinkedHashMap<>();
        if (!Files.isRegularFile(file)) {
            return result;
        }
        Properties raw = new Properties();
        try (InputStream in = Files.newInputStream(file)) {
            raw.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        for (String name : raw.stringPropertyNames()) {
            result.put(name, substitute(raw.getProperty(name), raw, variables, 0));
        }
        return result;
    }

    // Felix's launcher resolves ${name} from the file itself and the system properties; so do we.
    private static String substitute(String value, Properties raw, Map<String, String> variables, int depth) {
        if (depth > 10 || value == null) {
            return value;
        }
        StringBuilder out = new StringBuilder();
        int i = 0;
        while (i < value.length()) {
            int start = value.indexOf("${", i);
            int end = start < 0 ? -1 : value.indexOf('}', start);
            if (start < 0 || end < 0) {
                out.append(value, i, value.length());
                break;
            }
            out.append(value, i, start);
            String name = value.substring(start + 2, end);
            String replacement = variables.getOrDefault(name, System.getProperty(name, raw.getProperty(name)));
            out.append(replacement == null ? "" : substitute(replacement, raw, variables, depth + 1));
            i = end + 1;
        }
        return out.toString();
    }
}
