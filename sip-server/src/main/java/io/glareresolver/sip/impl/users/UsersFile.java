package io.glareresolver.sip.impl.users;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The users file format: one user per line, whitespace-separated
 * {@code name id realm ha1-md5 ha1-sha256}; {@code #} starts a comment; blank lines ignored.
 * Parsing keeps every valid line and reports every invalid one with its line number. JDK only.
 */
public final class UsersFile {

    /** RFC 3261 §25.1 {@code user} characters without escapes (unreserved and user-unreserved). */
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9\\-_.!~*'()&=+$,;?/]{1,64}");

    private UsersFile() {
    }

    /** A refused line. */
    public record LineError(int line, String reason) {
        @Override
        public String toString() {
            return "line " + line + ": " + reason;
        }
    }

    /** The valid users (in file order) and the refused lines. */
    public record Parsed(List<SipUser> users, List<LineError> errors) {
        public Parsed {
            users = List.copyOf(users);
            errors = List.copyOf(errors);
        }

        public Optional<SipUser> byName(String name) {
            return users.stream().filter(u -> u.name().equals(name)).findFirst();
        }

        /** The smallest free ID above every used one (max + 1), 1 for an empty file. */
        public long nextId() {
            return users.stream().mapToLong(SipUser::id).max().orElse(0) + 1;
        }
    }

    public static boolean isValidName(String name) {
        return name != null && NAME.matcher(name).matches();
    }

    /** Content of a line without its comment, trimmed. */
    public static String content(String line) {
        int hash = line.indexOf('#');
        return (hash >= 0 ? line.substring(0, hash) : line).trim();
    }

    public static Parsed parse(List<String> lines) {
        List<SipUser> users = new ArrayList<>();
        List<LineError> errors = new ArrayList<>();
        Map<String, Integer> names = new HashMap<>();
        Set<Long> ids = new HashSet<>();
        for (int i = 0; i < lines.size(); i++) {
            int no = i + 1;
            String text = content(lines.get(i));
            if (text.isEmpty()) {
                continue;
            }
            String[] f = text.split("\\s+");
            if (f.length != 5) {
                errors.add(new LineError(no, "expected 5 fields 'name id realm ha1-md5 ha1-sha256', found " + f.length));
                continue;
            }
            if (!isValidName(f[0])) {
                errors.add(new LineError(no, "'" + f[0] + "' is not a valid SIP user name"));
                continue;
            }
            long id;
            try {
                id = Long.parseLong(f[1]);
            } catch (NumberFormatException e) {
                errors.add(new LineError(no, "id '" + f[1] + "' is not a non-negative whole number"));
                continue;
            }
            SipUser user;
            try {
                user = new SipUser(f[0], id, f[2], f[3].toLowerCase(java.util.Locale.ROOT),
                        f[4].toLowerCase(java.util.Locale.ROOT));
            } catch (IllegalArgumentException e) {
                errors.add(new LineError(no, e.getMessage()));
                continue;
            }
            if (names.containsKey(user.name())) {
                errors.add(new LineError(no, "user '" + user.name() + "' already defined on line " + names.get(user.name())));
                continue;
            }
            if (!ids.add(user.id())) {
                errors.add(new LineError(no, "id " + user.id() + " already used"));
                continue;
            }
            names.put(user.name(), no);
            users.add(user);
        }
        return new Parsed(users, errors);
    }
}
