package io.glareresolver.runtime;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import org.junit.jupiter.api.Test;

/**
 * The generated hash checked by the Web Console's own (package-private) password check, the
 * code that decides 401 or 200: the format is not only ours, it is the one the console reads.
 */
class WebConsoleAcceptsHashTest {

    private static final String CONSOLE_PASSWORD_CLASS = "org.apache.felix.webconsole.internal.servlet.Password";

    private static boolean consoleAccepts(String configured, String typed) throws Exception {
        Class<?> password = Class.forName(CONSOLE_PASSWORD_CLASS);
        Constructor<?> parse = password.getDeclaredConstructor(String.class);
        parse.setAccessible(true);
        Method matches = password.getDeclaredMethod("matches", byte[].class);
        matches.setAccessible(true);
        return (Boolean) matches.invoke(parse.newInstance(configured), (Object) typed.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void theConsoleAcceptsTheGeneratedPasswordAndRefusesItsBuiltInDefault() throws Exception {
        ConsolePassword tool = new ConsolePassword(new SecureRandom(), System.err);
        String password = tool.generate();
        String configured = ConsolePasswordHash.of(password, new SecureRandom()).encoded();

        assertTrue(consoleAccepts(configured, password));
        assertFalse(consoleAccepts(configured, "admin"));
        assertFalse(consoleAccepts(configured, password.substring(1)));
    }

    @Test
    void theConsolesBuiltInDefaultIsAdmin() throws Exception {
        // why the runtime must override it: the console's own default hash is that of "admin"
        assertTrue(consoleAccepts("{sha-256}jGl25bVBBBW96Qi9Te4V37Fnqchz/Eu4qB9vKrRIqRg=", "admin"));
    }
}
