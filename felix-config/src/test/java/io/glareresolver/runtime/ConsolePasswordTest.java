package io.glareresolver.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConsolePasswordTest {

    @TempDir
    Path etc;

    private final ByteArrayOutputStream said = new ByteArrayOutputStream();
    private final ConsolePassword tool =
            new ConsolePassword(new SecureRandom(), new PrintStream(said, true, StandardCharsets.UTF_8));

    @Test
    void firstStartGeneratesAPasswordKeptOwnerOnlyAndStoresOnlyItsHash() throws Exception {
        ConsolePasswordHash hash = tool.init(etc);

        Path passwordFile = etc.resolve(ConsolePassword.PASSWORD_FILE);
        Path cfg = etc.resolve(ConsolePassword.CONSOLE_CFG);
        String password = Files.readString(passwordFile).strip();
        assertEquals(ConsolePassword.GENERATED_LENGTH, password.length());
        assertFalse(password.equals("admin"));
        assertTrue(hash.matches(password));

        Map<String, String> config = ConsolePassword.read(cfg);
        assertEquals("admin", config.get("username"));
        assertEquals(hash.encoded(), config.get("password"));
        assertFalse(Files.readString(cfg).contains(password), "the configuration must not hold the clear text");

        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(passwordFile)));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(cfg)));
        assertTrue(said.toString(StandardCharsets.UTF_8).contains(passwordFile.toString()),
                "the operator is told where the password is");
        assertFalse(said.toString(StandardCharsets.UTF_8).contains(password), "and is not shown it");
    }

    @Test
    void laterStartsKeepThePasswordAndSayNothing() throws Exception {
        ConsolePasswordHash first = tool.init(etc);
        String cfgBefore = Files.readString(etc.resolve(ConsolePassword.CONSOLE_CFG));
        said.reset();

        ConsolePasswordHash second = tool.init(etc);

        assertEquals(first.encoded(), second.encoded());
        assertEquals(cfgBefore, Files.readString(etc.resolve(ConsolePassword.CONSOLE_CFG)));
        assertEquals("", said.toString(StandardCharsets.UTF_8));
    }

    @Test
    void readsAValueFileInstallWroteBackTyped() throws Exception {
        String encoded = ConsolePasswordHash.of("chosen", new SecureRandom()).encoded();
        Files.writeString(etc.resolve(ConsolePassword.CONSOLE_CFG),
                "username = \"ops\"\npassword = \"" + encoded.replace("=", "\\=") + "\"\n");

        assertTrue(tool.init(etc).matches("chosen"));
        assertFalse(Files.exists(etc.resolve(ConsolePassword.PASSWORD_FILE)), "nothing generated");
    }

    @Test
    void aClearTextPasswordIsPassedOnOnlyAsAHash() throws Exception {
        Files.writeString(etc.resolve(ConsolePassword.CONSOLE_CFG), "password = typed-by-hand\n");

        ConsolePasswordHash hash = tool.init(etc);

        assertTrue(hash.matches("typed-by-hand"));
        assertFalse(hash.encoded().contains("typed-by-hand"));
        assertTrue(said.toString(StandardCharsets.UTF_8).contains("clear-text"));
    }

    @Test
    void aConfigurationWithoutPasswordGetsOneAndKeepsItsOtherSettings() throws Exception {
        Files.writeString(etc.resolve(ConsolePassword.CONSOLE_CFG), "manager.root = /console\n");

        ConsolePasswordHash hash = tool.init(etc);

        Map<String, String> config = ConsolePassword.read(etc.resolve(ConsolePassword.CONSOLE_CFG));
        assertEquals("/console", config.get("manager.root"));
        assertEquals(hash.encoded(), config.get("password"));
    }
}
