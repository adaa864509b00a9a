package io.glareresolver.glare.impl.config;

import io.glareresolver.glare.impl.crossing.TiebreakSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The plugin's settings, validated from the raw Config Admin properties (so that an unparsable
 * value is reported by name, not silently replaced by a default). Immutable.
 *
 * @param enabled              {@code enabled}
 * @param source               {@code tiebreak.source}
 * @param ngTimeoutMillis      {@code glare.ng-timeout}
 * @param pendingMaximum       {@code pending.maximum}
 * @param pendingTimeoutMillis {@code pending.timeout}
 * @param recentSize           {@code recent.size}
 */
public record GlareSettings(boolean enabled, TiebreakSource source, long ngTimeoutMillis, int pendingMaximum,
                            long pendingTimeoutMillis, int recentSize) {

    public static final String ENABLED = "enabled";
    public static final String TIEBREAK_SOURCE = "tiebreak.source";
    public static final String NG_TIMEOUT = "glare.ng-timeout";
    public static final String PENDING_MAXIMUM = "pending.maximum";
    public static final String PENDING_TIMEOUT = "pending.timeout";
    public static final String RECENT_SIZE = "recent.size";

    public static final GlareSettings DEFAULTS = new GlareSettings(true, TiebreakSource.ENDPOINT, 2000, 10000, 64000, 200);

    /** Thrown for settings that cannot be used; the message names each setting and the reason. */
    public static final class InvalidSettingException extends Exception {
        public InvalidSettingException(String message) {
            super(message);
        }
    }

    /**
     * Validates the properties Config Admin delivered; absent keys take their defaults.
     *
     * @throws InvalidSettingException naming every setting that is wrong, and why
     */
    public static GlareSettings from(Map<String, ?> props) throws InvalidSettingException {
        List<String> problems = new ArrayList<>();
        boolean enabled = bool(props, ENABLED, DEFAULTS.enabled, problems);
        TiebreakSource source = DEFAULTS.source;
        Object s = props.get(TIEBREAK_SOURCE);
        if (s != null) {
            source = TiebreakSource.fromToken(s.toString()).orElse(null);
            if (source == null) {
                problems.add(TIEBREAK_SOURCE + "='" + s + "': must be 'endpoint' or 'registrar'");
            }
        }
        long ng = number(props, NG_TIMEOUT, DEFAULTS.ngTimeoutMillis, 1, 60_000, problems);
        long max = number(props, PENDING_MAXIMUM, DEFAULTS.pendingMaximum, 1, 10_000_000, problems);
        long pendingTimeout = number(props, PENDING_TIMEOUT, DEFAULTS.pendingTimeoutMillis, 1000, 3_600_000, problems);
        long recent = number(props, RECENT_SIZE, DEFAULTS.recentSize, 1, 100_000, problems);
        if (!problems.isEmpty()) {
            throw new InvalidSettingException(String.join("; ", problems));
        }
        return new GlareSettings(enabled, source, ng, (int) max, pendingTimeout, (int) recent);
    }

    private static boolean bool(Map<String, ?> props, String key, boolean dflt, List<String> problems) {
        Object v = props.get(key);
        if (v == null) {
            return dflt;
        }
        if (v instanceof Boolean b) {
            return b;
        }
        String t = v.toString().trim();
        if (t.equalsIgnoreCase("true") || t.equalsIgnoreCase("false")) {
            return Boolean.parseBoolean(t);
        }
        problems.add(key + "='" + v + "': must be true or false");
        return dflt;
    }

    private static long number(Map<String, ?> props, String key, long dflt, long min, long maxValue,
                               List<String> problems) {
        Object v = props.get(key);
        if (v == null) {
            return dflt;
        }
        long n;
        if (v instanceof Number num) {
            n = num.longValue();
        } else {
            try {
                n = Long.parseLong(v.toString().trim());
            } catch (NumberFormatException e) {
                problems.add(key + "='" + v + "': not a whole number");
                return dflt;
            }
        }
        if (n < min || n > maxValue) {
            problems.add(key + "=" + n + ": must be " + min + ".." + maxValue);
        }
        return n;
    }
}
