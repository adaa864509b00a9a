package io.glareresolver.sip.impl.users;

import java.io.BufferedReader;
import java.io.Console;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Manages the users file. JDK only, so it runs as
 * {@code java -cp sip-server.jar io.glareresolver.sip.impl.users.SipUsersCommand --file F add NAME}.
 *
 * <pre>
 *   --file FILE [--realm REALM] add NAME [--id N]   password from standard input
 *   --file FILE list
 *   --file FILE remove NAME
 * </pre>
 *
 * Exit codes: {@value #OK} done, {@value #FAILED} refused (user exists, unknown, id taken, bad
 * password), {@value #USAGE} bad command line, {@value #IO_ERROR} the file could not be read or written.
 * The file is rewritten atomically with permissions 0600 (HA1 is password-equivalent); other
 * lines and comments are kept as they are.
 */
public final class SipUsersCommand {

    public static final int OK = 0;
    public static final int FAILED = 1;
    public static final int USAGE = 2;
    public static final int IO_ERROR = 3;
    public static final String DEFAULT_REALM = "glare-resolver";
    public static final String DEFAULT_FILE = "etc/sip-users.txt";

    private static final String USAGE_TEXT = String.join(System.lineSeparator(),
            "usage: sip-users [--file FILE] [--realm REALM] add NAME [--id N]   (password on standard input)",
            "       sip-users [--file FILE] list",
            "       sip-users [--file FILE] remove NAME",
            "defaults: --file " + DEFAULT_FILE + ", --realm " + DEFAULT_REALM);

    private final PrintStream out;
    private final PrintStream err;
    private final BufferedReader in;
    private final Console console;

    public SipUsersCommand(PrintStream out, PrintStream err, BufferedReader in, Console console) {
        this.out = out;
        this.err = err;
        this.in = in;
        this.console = console;
    }

    public static void main(String[] args) {
        BufferedReader stdin = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        System.exit(new SipUsersCommand(System.out, System.err, stdin, System.console()).run(args));
    }

    private static final class UsageException extends Exception {
        UsageException(String m) {
            super(m);
        }
    }

    public int run(String[] args) {
        Path file = Path.of(DEFAULT_FILE);
        String realm = DEFAULT_REALM;
        Long id = null;
        List<String> words = new ArrayList<>();
        try {
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                switch (a) {
                    case "--file" -> file = Path.of(value(args, ++i, a));
                    case "--realm" -> {
                        realm = value(args, ++i, a);
                        if (realm.isBlank() || realm.contains("\"") || realm.matches(".*\\s.*")) {
                            throw new UsageException("--realm must be one word without quotes");
                        }
                    }
                    case "--id" -> {
                        String v = value(args, ++i, a);
                        try {
                            id = Long.parseLong(v);
                        } catch (NumberFormatException e) {
                            throw new UsageException("--id needs a non-negative whole number, not '" + v + "'");
                        }
                        if (id < 0) {
                            throw new UsageException("--id needs a non-negative whole number, not '" + v + "'");
                        }
                    }
                    case "-h", "--help" -> {
                        out.println(USAGE_TEXT);
                        return OK;
                    }
                    default -> {
                        if (a.startsWith("--")) {
                            throw new UsageException("unknown option " + a);
                        }
                        words.add(a);
                    }
                }
            }
            if (words.isEmpty()) {
                throw new UsageException("no command given");
            }
            String cmd = words.get(0);
            switch (cmd) {
                case "add" -> {
                    return add(file, realm, oneName(words), id);
                }
                case "list" -> {
                    if (words.size() != 1 || id != null) {
                        throw new UsageException("list takes no arguments");
                    }
                    return list(file);
                }
                case "remove" -> {
                    if (id != null) {
                        throw new UsageException("remove takes no --id");
                    }
                    return remove(file, oneName(words));
                }
                default -> throw new UsageException("unknown command '" + cmd + "'");
            }
        } catch (UsageException e) {
            err.println("sip-users: " + e.getMessage());
            err.println(USAGE_TEXT);
            return USAGE;
        } catch (IOException e) {
            err.println("sip-users: cannot access " + file + ": " + e);
            return IO_ERROR;
        }
    }

    private static String value(String[] args, int i, String option) throws UsageException {
        if (i >= args.length) {
            throw new UsageException(option + " needs a value");
        }
        return args[i];
    }

    private static String oneName(List<String> words) throws UsageException {
        if (words.size() != 2) {
            throw new UsageException(words.get(0) + " needs exactly one user NAME");
        }
        String name = words.get(1);
        if (!UsersFile.isValidName(name)) {
            throw new UsageException("'" + name + "' is not a valid SIP user name (letters, digits, - _ . ! ~ * ' ( ) & = + $ , ; ? /)");
        }
        return name;
    }

    private int add(Path file, String realm, String name, Long id) throws IOException {
        List<String> lines = read(file);
        UsersFile.Parsed parsed = UsersFile.parse(lines);
        if (parsed.byName(name).isPresent()) {
            err.println("sip-users: user '" + name + "' already exists in " + file + " (remove it first)");
            return FAILED;
        }
        if (id != null && parsed.users().stream().anyMatch(u -> u.id() == id)) {
            err.println("sip-users: id " + id + " is already used by '"
                    + parsed.users().stream().filter(u -> u.id() == id).findFirst().get().name() + "'");
            return FAILED;
        }
        long newId = id != null ? id : parsed.nextId();
        Optional<char[]> password = readPassword();
        if (password.isEmpty()) {
            err.println("sip-users: no password given on standard input (an empty password is not allowed)");
            return FAILED;
        }
        char[] pw = password.get();
        SipUser user;
        try {
            user = SipUser.withPassword(name, newId, realm, pw);
        } finally {
            Arrays.fill(pw, '\0');
        }
        lines.add(user.line());
        write(file, lines);
        out.println("added " + name + " id " + newId + " realm " + realm + " to " + file);
        return OK;
    }

    private int list(Path file) throws IOException {
        if (!Files.exists(file)) {
            out.println("(no users: " + file + " does not exist)");
            return OK;
        }
        UsersFile.Parsed parsed = UsersFile.parse(read(file));
        for (UsersFile.LineError e : parsed.errors()) {
            err.println("sip-users: " + file + " " + e);
        }
        out.printf("%-24s %20s  %s%n", "NAME", "ID", "REALM");
        for (SipUser u : parsed.users()) {
            out.printf("%-24s %20d  %s%n", u.name(), u.id(), u.realm());
        }
        return OK;
    }

    private int remove(Path file, String name) throws IOException {
        List<String> lines = read(file);
        List<String> kept = new ArrayList<>();
        boolean removed = false;
        for (String line : lines) {
            String[] f = UsersFile.content(line).split("\\s+");
            if (f.length > 0 && f[0].equals(name)) {
                removed = true;
            } else {
                kept.add(line);
            }
        }
        if (!removed) {
            err.println("sip-users: no user '" + name + "' in " + file);
            return FAILED;
        }
        write(file, kept);
        out.println("removed " + name + " from " + file);
        return OK;
    }

    /** The first line of standard input, or a prompted, confirmed password on a terminal. */
    private Optional<char[]> readPassword() throws IOException {
        if (console != null) {
            char[] a = console.readPassword("Password: ");
            char[] b = a == null ? null : console.readPassword("Password again: ");
            if (a == null || b == null || a.length == 0) {
                return Optional.empty();
            }
            if (!Arrays.equals(a, b)) {
                err.println("sip-users: the passwords differ");
                Arrays.fill(a, '\0');
                Arrays.fill(b, '\0');
                return Optional.empty();
            }
            Arrays.fill(b, '\0');
            return Optional.of(a);
        }
        String line = in.readLine();
        if (line == null || line.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(line.toCharArray());
    }

    private static List<String> read(Path file) throws IOException {
        if (!Files.exists(file)) {
            return new ArrayList<>();
        }
        return new ArrayList<>(Files.readAllLines(file, StandardCharsets.UTF_8));
    }

    private static void write(Path file, List<String> lines) throws IOException {
        Path abs = file.toAbsolutePath();
        Files.createDirectories(abs.getParent());
        Path tmp = abs.resolveSibling("." + abs.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        try {
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException e) {
            Files.createFile(tmp);
        }
        Files.write(tmp, lines, StandardCharsets.UTF_8);
        try {
            Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
