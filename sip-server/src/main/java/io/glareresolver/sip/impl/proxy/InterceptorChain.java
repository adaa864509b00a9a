package io.glareresolver.sip.impl.proxy;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

import io.glareresolver.sip.api.InviteInterceptor;
import io.glareresolver.sip.api.RegistrationInterceptor;

/**
 * The bound interceptors, in OSGi service order: descending {@code service.ranking}, then
 * ascending {@code service.id}. Binding and unbinding only swap the list: the stack never restarts.
 * Also holds the bound {@link RegistrationInterceptor}s (same order), which the registrar asks.
 */
public final class InterceptorChain {

    /** One bound interceptor. Identity matters: the proxy remembers which entries saw an INVITE. */
    public static final class Entry {
        private final InviteInterceptor interceptor;
        private final int ranking;
        private final long order;

        Entry(InviteInterceptor interceptor, int ranking, long order) {
            this.interceptor = interceptor;
            this.ranking = ranking;
            this.order = order;
        }

        public InviteInterceptor interceptor() {
            return interceptor;
        }

        public int ranking() {
            return ranking;
        }

        @Override
        public String toString() {
            return interceptor.getClass().getName() + "(ranking " + ranking + ")";
        }
    }

    private static final Comparator<Entry> ORDER =
            Comparator.comparingInt((Entry e) -> -e.ranking).thenComparingLong(e -> e.order);

    private volatile List<Entry> entries = List.of();
    private final List<Consumer<Entry>> unbindListeners = new CopyOnWriteArrayList<>();
    private long sequence;

    /**
     * @param order a tie-break among equal rankings, lower first (the OSGi service.id)
     */
    public synchronized Entry add(InviteInterceptor interceptor, int ranking, long order) {
        Entry e = new Entry(interceptor, ranking, order);
        List<Entry> next = new ArrayList<>(entries);
        next.add(e);
        next.sort(ORDER);
        entries = List.copyOf(next);
        return e;
    }

    /** Adds with the order of binding as the tie-break (plain Java use). */
    public synchronized Entry add(InviteInterceptor interceptor, int ranking) {
        return add(interceptor, ranking, Long.MAX_VALUE / 2 + (sequence++));
    }

    /** Removes an interceptor; the proxy is told so it can release what the interceptor held. */
    public void remove(InviteInterceptor interceptor) {
        Entry gone = null;
        synchronized (this) {
            List<Entry> next = new ArrayList<>(entries);
            for (Entry e : next) {
                if (e.interceptor == interceptor) {
                    gone = e;
                    break;
                }
            }
            if (gone == null) {
                return;
            }
            next.remove(gone);
            entries = List.copyOf(next);
        }
        for (Consumer<Entry> l : unbindListeners) {
            l.accept(gone);
        }
    }

    /** Replaces the ranking of a bound interceptor (service properties modified). */
    public synchronized void reorder(InviteInterceptor interceptor, int ranking, long order) {
        List<Entry> next = new ArrayList<>();
        for (Entry e : entries) {
            next.add(e.interceptor == interceptor ? new Entry(interceptor, ranking, order) : e);
        }
        next.sort(ORDER);
        entries = List.copyOf(next);
    }

    private record RegistrationEntry(RegistrationInterceptor interceptor, int ranking, long order) {
    }

    private static final Comparator<RegistrationEntry> REGISTRATION_ORDER =
            Comparator.comparingInt((RegistrationEntry e) -> -e.ranking).thenComparingLong(e -> e.order);

    private volatile List<RegistrationEntry> registrationEntries = List.of();

    /** Binds a registration interceptor; {@code order} is the tie-break among equal rankings (the OSGi service.id). */
    public synchronized void addRegistrationInterceptor(RegistrationInterceptor interceptor, int ranking, long order) {
        List<RegistrationEntry> next = new ArrayList<>(registrationEntries);
        next.add(new RegistrationEntry(interceptor, ranking, order));
        next.sort(REGISTRATION_ORDER);
        registrationEntries = List.copyOf(next);
    }

    /** Binds a registration interceptor, ordered by binding (plain Java use). */
    public synchronized void addRegistrationInterceptor(RegistrationInterceptor interceptor, int ranking) {
        addRegistrationInterceptor(interceptor, ranking, Long.MAX_VALUE / 2 + (sequence++));
    }

    public synchronized void removeRegistrationInterceptor(RegistrationInterceptor interceptor) {
        List<RegistrationEntry> next = new ArrayList<>(registrationEntries);
        next.removeIf(e -> e.interceptor == interceptor);
        registrationEntries = List.copyOf(next);
    }

    /** @return the bound registration interceptors, in order */
    public List<RegistrationInterceptor> registrationInterceptors() {
        return registrationEntries.stream().map(RegistrationEntry::interceptor).toList();
    }

    public List<Entry> entries() {
        return entries;
    }

    public boolean contains(Entry e) {
        return entries.contains(e);
    }

    void onUnbind(Consumer<Entry> listener) {
        unbindListeners.add(listener);
    }

    void removeUnbindListener(Consumer<Entry> listener) {
        unbindListeners.remove(listener);
    }
}
