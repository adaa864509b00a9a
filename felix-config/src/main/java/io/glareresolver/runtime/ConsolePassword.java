package io.glareresolver.runtime;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * Gives the Web Console a password of its own, so that the runtime never answers to the
 * console's built-in admin/admin.
 *
 * <p>{@code init ETC_DIR}: when the console's configuration file in {@code ETC_DIR} holds no
 * password, generates a random one, writes its hash into that configuration
 * ({@code org.apache.felix.webconsole.internal.servlet.OsgiManager.cfg}, picked up by FileInstall)
 * and the clear text into {@code webconsole.password}, both readable by the owner only (0600),
 * and says once, on standard error, where the password is. In every case it prints the hash on
 * standard output: the start script passes it as the framework property
 * {@code felix.webconsole.password}, the console's default, so that there is no moment, before
 * FileInstall has delivered the configuration, in which the built-in default applies.
 *
 * <p>{@code hash}: reads a password from standard input and prints its hash, for an operator who
 * sets a password of their choosing in the configuration file.
 *
 * <p>This is a command-line program: its output is for the operator, on the console.
 */
public final class ConsolePassword {

    /** The Web Console's configuration PID (Config Admin), which FileInstall maps to a file name. */
    public static final String CONSOLE_PID = "org.apache.felix.webconsole.internal.servlet.OsgiManager";
    /** The console's configuration file, as FileInstall expects it: {@code PID.cfg}. */
    public static final String CONSOLE_CFG = CONSOLE_PID + ".cfg";
    /** Where the generated clear-text password is kept, owner-readable only. */
    public static final String PASSWORD_FILE = "webconsole.password";
    /** The console's user name property and the name this runtime uses. */
    static final String USERNAME_KEY = "username";
    static final String DEFAULT_USERNAME = "admin";
    static final String PASSWORD_KEY = "password";

    /** 24 characters from 62: about 143 bits, beyond guessing; no characters a shell or URL mangles. */
    static final int GENERATED_LENGTH = 24;
    private static final String ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    private final SecureRandom random;
    private final PrintStream operator;

    ConsolePassword(SecureRandom random, PrintStream operator) {
        this.random = random;
        this.operator = operator;
    }

    /**
     * Makes sure the console configuration in {@code etcDir} holds a hashed password and returns
     * the hash the console will accept.
     */
    ConsolePasswordHash init(Path etcDir) throws IOException {
        Path cfg = etcDir.resolve(CONSOLE_CFG);
        Map<String, String> config = Files.exists(cfg) ? read(cfg) : new TreeMap<>();
        String stored = config.get(PASSWORD_KEY);
        if (stored != null && !stored.isBlank()) {
            if (stored.startsWith("{")) {
                return ConsolePasswordHash.parse(stored);
            }
            // An operator typed a clear-text password into the file: the console accepts it, but it
            // must not travel on a command line; pass its hash instead.
            operator.println("Web Console: " + cfg + " holds a clear-text password; replace it by the"
                    + " output of `java -jar bin/glare-runtime-tools.jar hash`.");
            return ConsolePasswordHash.of(stored, random);
        }

        String password = generate();
        ConsolePasswordHash hash = ConsolePasswordHash.of(password, random);
        config.putIfAbsent(USERNAME_KEY, DEFAULT_USERNAME);
        config.put(PASSWORD_KEY, hash.encoded());
        Files.createDirectories(etcDir);
        Path passwordFile = etcDir.resolve(PASSWORD_FILE);
        writeOwnerOnly(passwordFile, password + "\n");
        writeOwnerOnly(cfg, format(config));
        operator.println("Web Console: generated a password for user '" + config.get(USERNAME_KEY)
                + "'. It is in " + passwordFile.toAbsolutePath().normalize()
                + " (mode 0600); the console keeps only its hash, in " + CONSOLE_CFG + ".");
        return hash;
    }

    String generate() {
        StringBuilder password = new StringBuilder(GENERATED_LENGTH);
        for (int i = 0; i < GENERATED_LENGTH; i++) {
            password.append(ALPHABET.charAt(random.nextInt(ALPHABET.length())));
        }
        return password.toString();
    }

    /**
     * Reads a FileInstall {@code .cfg} file. Its plain form is a Java properties file; a value that
     * FileInstall wrote back in its typed form ({@code "text"}) is unquoted.
     */
    static Map<String, String> read(Path cfg) throws IOException {
        Properties properties = new Properties();
        try (Reader in = Files.newBufferedReader(cfg, StandardCharsets.UTF_8)) {
            properties.load(in);
        }
        Map<String, String> config = new TreeMap<>();
        for (String key : properties.stringPropertyNames()) {
            String value = properties.getProperty(key).strip();
            if (value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) {
                value = value.substring(1, value.length() - 1);
            }
            config.put(key, value);
        }
        return config;
    }

    private static String format(Map<String, String> config) {
        StringBuilder text = new StringBuilder()
                .append("# Apache Felix Web Console (").append(CONSOLE_PID).append(").\n")
                .append("# Generated at first start: the password is stored hashed ({sha-256}SALT-ITERATIONS-BASE64).\n")
                .append("# To choose another one: java -jar bin/glare-runtime-tools.jar hash, and put its output below;\n")
                .append("# or delete this file and webconsole.password, and restart to get a new random one.\n");
        config.forEach((key, value) -> text.append(key).append(" = ").append(escape(value)).append('\n'));
        return text.toString();
    }

    private static String escape(String value) {
        return value.replace("\\", "\\\\").replace("\n", "\\n");
    }

    /** Writes {@code text} so that at no moment anyone but the owner can read it. */
    private static void writeOwnerOnly(Path target, String text) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        // not matched by FileInstall's filter (*.cfg), so a half-written file is never applied
        Path temp = Files.createTempFile(dir, "." + target.getFileName(), ".tmp",
                posix() ? new java.nio.file.attribute.FileAttribute<?>[] {
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))}
                        : new java.nio.file.attribute.FileAttribute<?>[0]);
        try {
            Files.writeString(temp, text, StandardCharsets.UTF_8);
            try {
                Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    private static boolean posix() {
        return FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
    }

    /** The password an operator pipes in, without the line end. */
    /** @return the generated-password source, for the command line's {@code hash} */
    SecureRandom random() {
        return random;
    }

    static String readPassword(InputStream in) throws IOException {
        return new String(in.readAllBytes(), StandardCharsets.UTF_8).strip();
    }
}
