package io.glareresolver.sip.impl.fork;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import io.glareresolver.sip.api.Registration.Binding;

/**
 * The target set of an INVITE to a user (RFC 3261 §16.5), in the order it is tried: groups of
 * bindings of equal q-value, highest q first. The bindings of one group ring at once (parallel
 * forking); the next group is tried only when every branch of the one before has failed (serial
 * forking), as Kamailio's {@code t_load_contacts}/{@code t_next_contacts} do. §16.6: "If the
 * target set contains ... q-values, the proxy ... MAY process them in ... order of q-value".
 * A binding without q is preferred as 1.0. Within a group, the most recently refreshed binding
 * comes first (so its branch goes out first). Plain Java.
 */
public final class TargetSet {

    private TargetSet() {
    }

    /** The groups to try in turn, never empty groups; empty if there are no bindings. */
    public static List<List<Binding>> groups(List<Binding> bindings) {
        List<Binding> sorted = new ArrayList<>(bindings);
        sorted.sort(Comparator.comparingDouble((Binding b) -> b.preference()).reversed()
                .thenComparing(Binding::expiresAt, Comparator.reverseOrder()));
        List<List<Binding>> groups = new ArrayList<>();
        List<Binding> current = null;
        float q = Float.NaN;
        for (Binding b : sorted) {
            if (current == null || b.preference() != q) {
                current = new ArrayList<>();
                groups.add(current);
                q = b.preference();
            }
            current.add(b);
        }
        return groups.stream().map(List::copyOf).toList();
    }
}
