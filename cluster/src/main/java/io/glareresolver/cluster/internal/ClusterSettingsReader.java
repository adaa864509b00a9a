package io.glareresolver.cluster.internal;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads {@link ClusterSettings} from a Config Admin property map (typed values, or strings from a
 * FileInstall {@code .cfg}). A value that cannot be used is logged with the reason and its default
 * taken: a typo in one setting must not keep the node out of the cluster, nor throw in the SCR
 * thread.
 */
public final class ClusterSettingsReader {

    public static final String CLUSTER_NAME = "cluster.name";
    public static final String NODE_NAME = "node.name";
    public static final String MEMBERS = "members";
    public static final String ADDRESS = "address";
    public static final String PORT = "port";
    public static final String BACKUP_COUNT = "backup-count";
    public static final String OPERATION_TIMEOUT = "operation-timeout";

    private static final Logger LOG = LoggerFactory.getLogger(ClusterSettingsReader.class);
    // hostnames, IPv4, IPv6 (bare or bracketed); no spaces, no separators of our records
    private static final Pattern HOST = Pattern.compile("[A-Za-z0-9.:\\-\\[\\]]+");
    // a node name goes into log lines, member attributes and records: printable, no separators
    private static final Pattern NAME = Pattern.compile("[\\x21-\\x7E&&[^|,%~]]{1,64}");
    // Hazelcast's limit is 6 in total (sync + async)
    private static final int MAX_BACKUP_COUNT = 6;

    private final List<String> refusals = new ArrayList<>();

    /** Refusal messages of the last {@link #read} call (for tests and the console). */
    public List<String> refusals() {
        return List.copyOf(refusals);
    }

    public ClusterSettings read(Map<String, ?> props) {
        refusals.clear();
        ClusterSettings d = ClusterSettings.defaults();
        String clusterName = text(props, CLUSTER_NAME, d.clusterName(), NAME,
                "printable, 1-64 characters, none of | , % ~");
        String nodeName = props.get(NODE_NAME) == null || string(props.get(NODE_NAME)).isEmpty() ? ""
                : text(props, NODE_NAME, "", NAME, "printable, 1-64 characters, none of | , % ~ (empty: address:port)");
        String address = address(props);
        int port = integer(props, PORT, d.port(), 1, 65535);
        List<String> members = members(props);
        int backups = integer(props, BACKUP_COUNT, d.backupCount(), 0, MAX_BACKUP_COUNT);
        int timeout = integer(props, OPERATION_TIMEOUT, (int) d.operationTimeout().toMillis(), 1, 60_000);
        return new ClusterSettings(clusterName, nodeName, members, address, port, backups, Duration.ofMillis(timeout));
    }

    private void refuse(String key, Object value, String reason, Object fallback) {
        String line = "setting " + key + "='" + value + "' refused: " + reason + "; using the default '" + fallback + "'";
        refusals.add(line);
        LOG.warn(line);
    }

    private static String string(Object value) {
        if (value instanceof String[] array) {
            return String.join(",", array);
        }
        if (value instanceof Collection<?> collection) {
            return String.join(",", collection.stream().map(String::valueOf).toList());
        }
        return String.valueOf(value).trim();
    }

    private String text(Map<String, ?> props, String key, String fallback, Pattern pattern, String rule) {
        Object raw = props.get(key);
        if (raw == null) {
            return fallback;
        }
        String value = string(raw);
        if (!pattern.matcher(value).matches()) {
            refuse(key, raw, "must be " + rule, fallback);
            return fallback;
        }
        return value;
    }

    private int integer(Map<String, ?> props, String key, int fallback, int min, int max) {
        Object raw = props.get(key);
        if (raw == null) {
            return fallback;
        }
        long value;
        try {
            value = raw instanceof Number n ? n.longValue() : Long.parseLong(string(raw));
        } catch (NumberFormatException e) {
            refuse(key, raw, "not a whole number", fallback);
            return fallback;
        }
        if (value < min || value > max) {
            refuse(key, raw, "must be between " + min + " and " + max, fallback);
            return fallback;
        }
        return (int) value;
    }

    private String address(Map<String, ?> props) {
        Object raw = props.get(ADDRESS);
        String fallback = ClusterSettings.DEFAULT_ADDRESS;
        if (raw == null) {
            return fallback;
        }
        String value = string(raw);
        if (value.startsWith("[") && value.endsWith("]")) {
            value = value.substring(1, value.length() - 1);
        }
        if (!isLiteral(value)) {
            refuse(ADDRESS, raw, "not an IPv4 or IPv6 address (no host names: the member binds to it)", fallback);
            return fallback;
        }
        try {
            if (InetAddress.getByName(value).isAnyLocalAddress()) {
                refuse(ADDRESS, raw, "the wildcard address cannot be announced to the other members", fallback);
                return fallback;
            }
        } catch (UnknownHostException e) {
            refuse(ADDRESS, raw, "not an address", fallback);
            return fallback;
        }
        return value;
    }

    private static boolean isLiteral(String value) {
        return value.matches("\\d{1,3}(\\.\\d{1,3}){3}") && Arrays.stream(value.split("\\."))
                .allMatch(o -> Integer.parseInt(o) <= 255)
                || value.indexOf(':') >= 0 && value.matches("[0-9A-Fa-f:.]+");
    }

    private List<String> members(Map<String, ?> props) {
        Object raw = props.get(MEMBERS);
        if (raw == null) {
            return List.of();
        }
        List<String> members = new ArrayList<>();
        for (String item : string(raw).split(",")) {
            String member = item.trim();
            if (member.isEmpty()) {
                continue;
            }
            if (!HOST.matcher(member).matches() || !hasPort(member)) {
                refuse(MEMBERS, raw, "'" + member + "' is not host:port (IPv6 as [::1]:5701)", "");
                return List.of();
            }
            members.add(member);
        }
        return members;
    }

    private static boolean hasPort(String member) {
        int colon = member.lastIndexOf(':');
        int close = member.lastIndexOf(']');
        if (colon < 0 || colon < close || (close < 0 && member.indexOf(':') != colon) || colon == 0) {
            return false;
        }
        try {
            int port = Integer.parseInt(member.substring(colon + 1));
            return port >= 1 && port <= 65535;
        } catch (NumberFormatException e) {
            return false;
        }
    }
}
