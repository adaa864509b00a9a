package io.glareresolver.glare.impl.component;

import io.glareresolver.glare.api.GlareStatus;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;

import java.io.IOException;
import java.util.Dictionary;
import java.util.Hashtable;

/**
 * Switches the plugin on or off the way an administrator's edit on the Configuration page does:
 * by writing {@code enabled} into the Config Admin configuration {@value GlareStatus#PID}. Config
 * Admin persists it (and FileInstall writes it back to {@code etc/io.glareresolver.glare.cfg}), so
 * the switch survives a restart; the other settings are kept as they are.
 */
public final class EnabledSwitch {

    private EnabledSwitch() {
    }

    public static void write(ConfigurationAdmin configAdmin, boolean enabled) throws IOException {
        // "?": a multi-location binding, so that FileInstall's and the plugin's bundle share it
        Configuration c = configAdmin.getConfiguration(GlareStatus.PID, "?");
        Dictionary<String, Object> props = c.getProperties();
        if (props == null) {
            props = new Hashtable<>();
        }
        props.put("enabled", enabled);
        c.update(props);
    }
}
