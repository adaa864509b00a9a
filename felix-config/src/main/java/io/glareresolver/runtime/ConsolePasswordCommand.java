package io.glareresolver.runtime;

import java.io.IOException;
import java.nio.file.Path;
import java.security.SecureRandom;

/**
 * The command line of {@link ConsolePassword} ({@code java -jar bin/glare-runtime-tools.jar}):
 * {@code init ETC_DIR} prints the console password hash for the start script, {@code hash} reads a
 * password on standard input and prints its hash. Exit codes: 0 done, 1 failed, 2 usage.
 */
public final class ConsolePasswordCommand {

    private ConsolePasswordCommand() {
    }

    public static void main(String[] args) {
        ConsolePassword tool = new ConsolePassword(new SecureRandom(), System.err);
        try {
            if (args.length == 2 && "init".equals(args[0])) {
                System.out.println(tool.init(Path.of(args[1])).encoded());
            } else if (args.length == 1 && "hash".equals(args[0])) {
                String password = ConsolePassword.readPassword(System.in);
                if (password.isEmpty()) {
                    System.err.println("no password on standard input");
                    System.exit(2);
                }
                System.out.println(ConsolePasswordHash.of(password, tool.random()).encoded());
            } else {
                System.err.println("usage: init ETC_DIR | hash  (password on standard input)");
                System.exit(2);
            }
        } catch (IOException | IllegalArgumentException e) {
            System.err.println("Web Console password: " + e.getMessage());
            System.exit(1);
        }
    }
}
