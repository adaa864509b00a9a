package io.glareresolver.sip.impl.shell;

import io.glareresolver.sip.api.LocationService;
import io.glareresolver.sip.api.Registration;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Gogo command {@code sip:registrations}: the registrar's live bindings, one line per contact
 * (address of record, endpoint ID, contact, seconds until expiry, option tags). Read-only.
 */
@Component(service = RegistrationsCommand.class, property = {
        "osgi.command.scope=sip",
        "osgi.command.function=registrations"})
public final class RegistrationsCommand {

    @Reference
    private LocationService location;

    public String registrations() {
        List<Registration> all = new ArrayList<>(location.registrations());
        if (all.isEmpty()) {
            return "no registrations";
        }
        all.sort(Comparator.comparing(Registration::aor));
        Instant now = Instant.now();
        StringBuilder out = new StringBuilder(String.format("%-28s %6s  %-44s %8s  %s%n",
                "address of record", "id", "contact", "expires", "supported"));
        for (Registration r : all) {
            for (Registration.Binding b : r.bindings()) {
                out.append(String.format("%-28s %6d  %-44s %7ds  %s%n", r.aor(), r.endpointId(), b.contact(),
                        Math.max(0, Duration.between(now, b.expiresAt()).toSeconds()),
                        b.supported().isEmpty() ? "-" : String.join(",", new java.util.TreeSet<>(b.supported()))));
            }
        }
        out.append(all.size()).append(all.size() == 1 ? " registration" : " registrations");
        return out.toString();
    }
}
