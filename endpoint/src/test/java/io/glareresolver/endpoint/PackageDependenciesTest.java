package io.glareresolver.endpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.spi.ToolProvider;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The package rules of README "Packages", read from the compiled classes by {@code jdeps}: the API
 * never names its implementation (it finds it through {@link GlareEndpointProvider}), the state
 * machine names no other endpoint package, and no two endpoint packages depend on each other.
 */
class PackageDependenciesTest {

    private static final String API = "io.glareresolver.endpoint";
    private static final String INTERNAL = API + ".internal";
    private static final String FSM = API + ".fsm";
    /** {@code   io.glareresolver.endpoint   -> io.glareresolver.endpoint.fsm   classes} */
    private static final Pattern EDGE = Pattern.compile("^\\s+(\\S+)\\s+->\\s+(\\S+)\\s+\\S.*$");

    /** Package → the other endpoint packages its classes refer to. */
    private static Map<String, Set<String>> uses;

    @BeforeAll
    static void readTheMainClasses() throws Exception {
        // the directory (or jar) GlareEndpoint was loaded from: target/classes under surefire
        Path classes = Path.of(GlareEndpoint.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        ToolProvider jdeps = ToolProvider.findFirst("jdeps")
                .orElseThrow(() -> new AssertionError("jdeps is not in this JDK (module jdk.jdeps)"));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int rc = jdeps.run(new PrintWriter(out, true), new PrintWriter(err, true),
                "-verbose:package", "-e", "io\\.glareresolver\\.endpoint(\\..*)?", classes.toString());
        assertEquals(0, rc, () -> "jdeps failed: " + err + out);

        uses = new TreeMap<>();
        for (String line : out.toString().split("\\R")) {
            Matcher m = EDGE.matcher(line);
            if (m.matches() && isEndpointPackage(m.group(1)) && isEndpointPackage(m.group(2))
                    && !m.group(1).equals(m.group(2))) {
                uses.computeIfAbsent(m.group(1), p -> new TreeSet<>()).add(m.group(2));
            }
        }
        // a known edge: without it the output format changed and every rule below would pass vacuously
        assertTrue(uses.getOrDefault(INTERNAL, Set.of()).contains(API),
                () -> "jdeps output not understood (no " + INTERNAL + " -> " + API + "):\n" + out);
    }

    private static boolean isEndpointPackage(String name) {
        return name.equals(API) || name.startsWith(API + ".");
    }

    @Test
    void theApiDoesNotDependOnItsImplementation() {
        assertFalse(uses.getOrDefault(API, Set.of()).contains(INTERNAL),
                () -> API + " -> " + INTERNAL + " (build() must find the implementation through "
                        + "GlareEndpointProvider); all edges: " + uses);
    }

    @Test
    void theStateMachineUsesNoOtherEndpointPackage() {
        assertEquals(Set.of(), uses.getOrDefault(FSM, Set.of()), () -> FSM + " must stay plain Java; all edges: " + uses);
    }

    @Test
    void theEndpointPackagesFormNoCycle() {
        Optional<List<String>> cycle = findCycle();
        assertTrue(cycle.isEmpty(), () -> "package cycle " + String.join(" -> ", cycle.orElseThrow())
                + "; all edges: " + uses);
    }

    /** Depth-first search; a package met again on the current path closes a cycle. */
    private static Optional<List<String>> findCycle() {
        Set<String> done = new HashSet<>();
        for (String start : uses.keySet()) {
            Optional<List<String>> cycle = findCycleFrom(start, new ArrayDeque<>(), done);
            if (cycle.isPresent()) {
                return cycle;
            }
        }
        return Optional.empty();
    }

    private static Optional<List<String>> findCycleFrom(String pkg, Deque<String> path, Set<String> done) {
        if (path.contains(pkg)) {
            List<String> onPath = new ArrayList<>(path);
            List<String> cycle = new ArrayList<>(onPath.subList(onPath.indexOf(pkg), onPath.size()));
            cycle.add(pkg);
            return Optional.of(cycle);
        }
        if (!done.add(pkg)) {
            return Optional.empty();
        }
        path.addLast(pkg);
        for (String next : uses.getOrDefault(pkg, Set.of())) {
            Optional<List<String>> cycle = findCycleFrom(next, path, done);
            if (cycle.isPresent()) {
                return cycle;
            }
        }
        path.removeLast();
        return Optional.empty();
    }
}
