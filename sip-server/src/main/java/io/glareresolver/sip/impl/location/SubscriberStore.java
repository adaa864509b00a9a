package io.glareresolver.sip.impl.location;

import java.time.Clock;

import io.glareresolver.sip.impl.config.ServerSettings;
import io.glareresolver.sip.impl.users.SipUser;
import io.glareresolver.sip.impl.users.UserDirectory;

/**
 * The registrar's data: the configured users and the location table. It outlives the SIP stack
 * (rebinding the listening points or restarting the server component keeps every registration).
 */
public final class SubscriberStore {

    private final UserDirectory users;
    private final LocationTable locations;

    public SubscriberStore(ServerSettings settings, Clock clock) {
        this.users = new UserDirectory(settings.usersFile(), settings.realm());
        this.locations = new LocationTable(clock, settings.domain(), name -> users.find(name).map(SipUser::id));
    }

    /** Applies the domain, realm and users-file settings. */
    public void configure(ServerSettings settings) {
        users.configure(settings.usersFile(), settings.realm());
        locations.configure(settings.domain(), name -> users.find(name).map(SipUser::id));
    }

    public UserDirectory users() {
        return users;
    }

    public LocationTable locations() {
        return locations;
    }
}
