package io.glareresolver.integrationtests.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The promise of the root README: from its module map to the class that implements a seed step or
 * a server rule in two clicks. That holds only while every link of the documents resolves and every
 * {@code [Class.method][Class]} of {@code docs/design.md} names a method the linked file has; a
 * rename or a move breaks it silently otherwise. Reads the checked-out tree (this module's parent).
 */
class DocumentLinksTest {

    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    /** {@code [text](target)} and {@code [text](target#anchor)}; web links are not followed. */
    private static final Pattern INLINE_LINK = Pattern.compile("\\]\\(([^)#\\s]+)(#[^)]*)?\\)");
    /** {@code [Name]: path} reference definitions, as docs/design.md uses for classes. */
    private static final Pattern REFERENCE = Pattern.compile("(?m)^\\[(\\w+)\\]:\\s*(\\S+)");
    /** {@code [Class.method][Class]}: a method cited through its class's reference. */
    private static final Pattern METHOD_CITE = Pattern.compile("\\[(\\w+)\\.(\\w+)\\]\\[(\\w+)\\]");

    @Test
    void everyRelativeLinkOfTheDocumentsResolves() throws IOException {
        List<String> broken = new ArrayList<>();
        List<Path> documents = documents();
        assertTrue(documents.size() >= 10, "the README, module READMEs and docs/ were found: " + documents);
        for (Path doc : documents) {
            String text = Files.readString(doc);
            Matcher m = INLINE_LINK.matcher(text);
            while (m.find()) {
                checkTarget(doc, m.group(1), broken);
            }
            Matcher r = REFERENCE.matcher(text);
            while (r.find()) {
                checkTarget(doc, r.group(2), broken);
            }
        }
        assertEquals(List.of(), broken, "links to files that do not exist");
    }

    @Test
    void everyMethodDesignMdCitesExistsInTheLinkedClass() throws IOException {
        Path design = ROOT.resolve("docs/design.md");
        String text = Files.readString(design);
        Map<String, Path> classes = new HashMap<>();
        Matcher r = REFERENCE.matcher(text);
        while (r.find()) {
            classes.put(r.group(1), design.getParent().resolve(r.group(2)).normalize());
        }
        List<String> missing = new ArrayList<>();
        int cited = 0;
        Matcher m = METHOD_CITE.matcher(text);
        while (m.find()) {
            cited++;
            Path source = classes.get(m.group(3));
            if (source == null) {
                missing.add(m.group() + ": no reference [" + m.group(3) + "]");
                continue;
            }
            String code = Files.readString(source);
            // a method, a record component, an enum constant or a field of that name
            if (!Pattern.compile("\\b" + Pattern.quote(m.group(2)) + "\\b").matcher(code).find()) {
                missing.add(m.group() + ": no " + m.group(2) + " in " + ROOT.relativize(source));
            }
        }
        assertTrue(cited > 100, "design.md cites methods (" + cited + ")");
        assertEquals(List.of(), missing, "methods design.md cites that the code no longer has");
    }

    private static void checkTarget(Path doc, String target, List<String> broken) {
        if (target.startsWith("http://") || target.startsWith("https://") || target.startsWith("mailto:")) {
            return;
        }
        if (!Files.exists(doc.getParent().resolve(target).normalize())) {
            broken.add(ROOT.relativize(doc) + " -> " + target);
        }
    }

    private static List<Path> documents() throws IOException {
        try (Stream<Path> files = Files.walk(ROOT)) {
            return files.filter(p -> p.toString().endsWith(".md"))
                    .filter(p -> !ROOT.relativize(p).toString().matches("(.*/)?(target|\\.git|node_modules)/.*"))
                    .sorted()
                    .toList();
        }
    }
}
