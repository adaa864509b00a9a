package io.glareresolver.cluster.internal;

import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.core.EntryEvent;
import com.hazelcast.core.EntryListener;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import com.hazelcast.map.MapEvent;
import com.hazelcast.replicatedmap.ReplicatedMap;

import io.glareresolver.sip.api.ClusterStatus;
import io.glareresolver.sip.api.ClusterUnavailableException;
import io.glareresolver.sip.api.Registration;
import io.glareresolver.sip.api.ServerCluster;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link ServerCluster} on an embedded Hazelcast member: the nodes' announced URIs in a
 * replicated map (read locally), each node's bindings of each AOR in a partitioned map entry that
 * expires with its last binding, and the pair claims in a partitioned map written only with atomic
 * operations ({@code putIfAbsent}, {@code replace(key, old, new)}, {@code remove(key, old)}), so
 * two nodes claiming the same pair at once agree on one owner. See {@link ClusterMaps}.
 *
 * <p>Every call that needs the cluster waits at most the operation timeout, measured from its
 * start; Hazelcast's blocking operations run on a small bounded pool for that, and a call that
 * finds the pool full fails at once rather than queueing behind a cluster that does not answer.
 *
 * <p>Plain Java: it takes the member, the settings and a clock, and owns neither the member's
 * life cycle nor any OSGi type, so tests run it on real members in one JVM.
 */
public final class HazelcastServerCluster implements ServerCluster, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(HazelcastServerCluster.class);
    /** Compare-and-set attempts on one pair before the claim is given up as unavailable. */
    private static final int CAS_ATTEMPTS = 16;
    /** Threads waiting on blocking Hazelcast calls at most; more calls fail at once. */
    private static final int MAX_WAITING = 32;
    /** Registrations a console scan returns at most. */
    static final int SCAN_LIMIT = 10_000;
    private static final long WARN_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final HazelcastInstance member;
    private final ClusterSettings settings;
    private final Clock clock;
    private final String self;
    private final long timeoutNanos;
    private final ReplicatedMap<String, String> nodes;
    private final IMap<String, String> bindings;
    private final IMap<String, String> pairs;
    private final ThreadPoolExecutor waits;
    private final UUID membershipRegistration;
    private final UUID nodesRegistration;

    private final AtomicLong relayedInvites = new AtomicLong();
    private final AtomicLong takenOver = new AtomicLong();
    private final AtomicLong unavailable = new AtomicLong();
    private final AtomicLong lastWarning = new AtomicLong(System.nanoTime() - WARN_INTERVAL_NANOS);

    /** Names of the live members (this one among them), as of the last membership event. */
    private volatile Set<String> liveNodes = Set.of();
    /** Announced addresses of the other live nodes: what {@link #isNode} reads. */
    private volatile List<NodeAddress> peers = List.of();

    public HazelcastServerCluster(HazelcastInstance member, ClusterSettings settings, Clock clock) {
        this.member = member;
        this.settings = settings;
        this.clock = clock;
        this.self = settings.nodeName();
        this.timeoutNanos = settings.operationTimeout().toNanos();
        this.nodes = member.getReplicatedMap(ClusterMaps.NODES);
        this.bindings = member.getMap(ClusterMaps.BINDINGS);
        this.pairs = member.getMap(ClusterMaps.PAIRS);
        AtomicInteger threads = new AtomicInteger();
        this.waits = new ThreadPoolExecutor(0, MAX_WAITING, 30, TimeUnit.SECONDS, new SynchronousQueue<>(), r -> {
            Thread t = new Thread(r, "glare-cluster-" + threads.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        // known from the start, so its bindings stay reachable after it dies even if it never announced
        nodes.putIfAbsent(self, "");
        this.membershipRegistration = member.getCluster().addMembershipListener(new MembershipListener() {
            @Override
            public void memberAdded(MembershipEvent event) {
                LOG.info("cluster member {} joined: {} node(s) live", nodeOf(event.getMember()), event.getMembers().size());
                refresh(event.getMembers());
            }

            @Override
            public void memberRemoved(MembershipEvent event) {
                LOG.info("cluster member {} left: {} node(s) live", nodeOf(event.getMember()), event.getMembers().size());
                refresh(event.getMembers());
            }
        });
        this.nodesRegistration = nodes.addEntryListener(new NodesListener());
        refresh(members());
    }

    @Override
    public String nodeName() {
        return self;
    }

    @Override
    public void announce(String sipUri) {
        try {
            nodes.put(self, sipUri == null ? "" : sipUri);
            refresh(members());
        } catch (RuntimeException e) {
            LOG.warn("could not announce {} to the cluster: {}", sipUri, e.toString());
        }
    }

    @Override
    public void publish(Registration registration) {
        String key = bindingKey(registration.aor(), self);
        try {
            Instant latest = registration.bindings().stream().map(Registration.Binding::expiresAt)
                    .max(Instant::compareTo).orElse(Instant.MIN);
            long ttl = registration.bindings().isEmpty() ? 0
                    : Duration.between(clock.instant(), latest).toMillis();
            if (ttl <= 0) {
                bindings.deleteAsync(key).whenComplete((done, e) -> logFailure("withdraw", registration.aor(), e));
            } else {
                // +1 s: the map must not drop the entry before the binding itself expires
                bindings.setAsync(key, RegistrationText.encode(registration), ttl + 1000, TimeUnit.MILLISECONDS)
                        .whenComplete((done, e) -> logFailure("publish", registration.aor(), e));
            }
        } catch (RuntimeException e) {
            logFailure("publish", registration.aor(), e);
        }
    }

    @Override
    public List<Registration.Binding> bindingsElsewhere(String aor) throws ClusterUnavailableException {
        long deadline = System.nanoTime() + timeoutNanos;
        Map<String, Future<String>> reads = new LinkedHashMap<>();
        requireRunning("bindings of " + aor);
        try {
            for (String node : knownNodes()) {
                if (!node.equals(self)) {
                    // a blocking get, not getAsync: only get reads this member's backup copy
                    // (readBackupData), so with the default backup count a lookup is a local read on
                    // two nodes and goes on while the entry's owner hangs
                    String key = bindingKey(aor, node);
                    reads.put(node, waits.submit(() -> bindings.get(key)));
                }
            }
        } catch (RejectedExecutionException e) {
            reads.values().forEach(f -> f.cancel(true));
            throw unavailable("bindings of " + aor, MAX_WAITING + " operations already waiting for the cluster", e, true);
        } catch (RuntimeException e) {
            throw unavailable("bindings of " + aor, e.toString(), e, true);
        }
        Instant now = clock.instant();
        List<Registration.Binding> found = new ArrayList<>();
        for (Map.Entry<String, Future<String>> read : reads.entrySet()) {
            String text = await("bindings of " + aor, read.getValue(), deadline, true);
            if (text != null) {
                decode(aor, read.getKey(), text).ifPresent(r -> r.bindings().stream()
                        .filter(b -> b.expiresAt().isAfter(now)).forEach(found::add));
            }
        }
        return List.copyOf(found);
    }

    @Override
    public Collection<Registration> registrationsElsewhere() throws ClusterUnavailableException {
        long deadline = System.nanoTime() + timeoutNanos;
        Set<Map.Entry<String, String>> entries = bounded("registration scan", () -> bindings.entrySet(), deadline, true);
        Instant now = clock.instant();
        Map<String, Registration> byAor = new LinkedHashMap<>();
        for (Map.Entry<String, String> entry : entries) {
            if (byAor.size() >= SCAN_LIMIT) {
                break;
            }
            int nl = entry.getKey().lastIndexOf('\n');
            if (nl < 0 || entry.getKey().substring(nl + 1).equals(self)) {
                continue;
            }
            String aor = entry.getKey().substring(0, nl);
            decode(aor, entry.getKey().substring(nl + 1), entry.getValue()).ifPresent(r -> {
                List<Registration.Binding> live = r.bindings().stream().filter(b -> b.expiresAt().isAfter(now)).toList();
                if (!live.isEmpty()) {
                    Registration known = byAor.get(aor);
                    List<Registration.Binding> all = new ArrayList<>(known == null ? List.of() : known.bindings());
                    all.addAll(live);
                    byAor.put(aor, new Registration(aor, r.endpointId(), all));
                }
            });
        }
        return List.copyOf(byAor.values());
    }

    @Override
    public String claimPair(String aorA, String aorB, String callId) throws ClusterUnavailableException {
        String key = PairClaim.key(aorA, aorB);
        long deadline = System.nanoTime() + timeoutNanos;
        String mine = PairClaim.of(self, callId).encode();
        requireRunning("claim of " + aorA + " and " + aorB);
        for (int attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
            String current = bounded("claim of " + aorA + " and " + aorB,
                    () -> pairs.putIfAbsent(key, mine, ClusterMemberConfig.PAIR_TTL_SECONDS, TimeUnit.SECONDS),
                    deadline, true);
            if (current == null) {
                return self;
            }
            PairClaim held = decodeClaim(key, current);
            if (held != null && (held.owner().equals(self) || isLive(held.owner()))) {
                if (held.callIds().contains(callId)
                        || bounded("claim of " + aorA + " and " + aorB,
                                () -> pairs.replace(key, current, held.with(callId).encode()), deadline, true)) {
                    if (!held.owner().equals(self)) {
                        relayedInvites.incrementAndGet();
                    }
                    return held.owner();
                }
            } else if (bounded("takeover of " + aorA + " and " + aorB,
                    () -> pairs.replace(key, current, mine), deadline, true)) {
                takenOver.incrementAndGet();
                LOG.info("pair {} and {} taken over from {}, which left the cluster", aorA, aorB,
                        held == null ? "an unreadable claim" : held.owner());
                return self;
            }
            // another node changed the claim between our read and our write: read it again
        }
        throw unavailable("claim of " + aorA + " and " + aorB, "the claim changed " + CAS_ATTEMPTS
                + " times under us", null, true);
    }

    @Override
    public void releasePair(String aorA, String aorB, String callId) {
        String key = PairClaim.key(aorA, aorB);
        long deadline = System.nanoTime() + timeoutNanos;
        String what = "release of " + aorA + " and " + aorB;
        try {
            for (int attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
                String current = bounded(what, () -> pairs.get(key), deadline, true);
                if (current == null) {
                    return;
                }
                PairClaim held = decodeClaim(key, current);
                if (held != null && !held.callIds().contains(callId)) {
                    return;
                }
                PairClaim rest = held == null ? null : held.without(callId);
                boolean written = rest == null || rest.callIds().isEmpty()
                        ? bounded(what, () -> pairs.remove(key, current), deadline, true)
                        : bounded(what, () -> pairs.replace(key, current, rest.encode()), deadline, true);
                if (written) {
                    return;
                }
            }
            LOG.warn("{} ({}) gave up: the claim kept changing; it ends by itself within {} s", what, callId,
                    ClusterMemberConfig.PAIR_TTL_SECONDS);
        } catch (ClusterUnavailableException e) {
            LOG.warn("{} ({}) failed: {}; the claim ends by itself within {} s", what, callId, e.getMessage(),
                    ClusterMemberConfig.PAIR_TTL_SECONDS);
        }
    }

    @Override
    public Optional<String> sipUriOf(String node) {
        if (!isLive(node)) {
            return Optional.empty();
        }
        String uri = nodes.get(node);
        return uri == null || uri.isEmpty() ? Optional.empty() : Optional.of(uri);
    }

    @Override
    public boolean isNode(String host, int port, boolean udp) {
        for (NodeAddress peer : peers) {
            if (peer.sent(host, port, udp)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public ClusterStatus status() {
        List<String> members = new ArrayList<>();
        for (Member m : members()) {
            String name = nodeOf(m);
            String uri = nodes.get(name);
            members.add(name + " " + (uri == null || uri.isEmpty() ? "-" : uri));
        }
        return new ClusterStatus(settings.clusterName(), self, members, size(bindings), size(pairs),
                relayedInvites.get(), takenOver.get(), unavailable.get());
    }

    /** Stops listening to the member; the member itself belongs to the caller. */
    @Override
    public void close() {
        waits.shutdownNow();
        try {
            member.getCluster().removeMembershipListener(membershipRegistration);
            nodes.removeEntryListener(nodesRegistration);
        } catch (RuntimeException e) {
            LOG.debug("listeners not removed (member already down): {}", e.toString());
        }
    }

    static String bindingKey(String aor, String node) {
        return aor + '\n' + node;
    }

    /**
     * True if {@code node} is a member now. Read from the member list itself, not from the cache
     * the membership events keep: a claim must not wait for the event of a member's departure
     * (delivered later, on an event thread) to take over that member's pairs.
     */
    private boolean isLive(String node) {
        for (Member m : members()) {
            if (node.equals(m.getAttribute(ClusterMemberConfig.NODE_ATTRIBUTE))) {
                return true;
            }
        }
        return false;
    }

    /** The live members (a local read); none when this node's member is down. */
    private Set<Member> members() {
        try {
            return member.getCluster().getMembers();
        } catch (RuntimeException e) {
            return Set.of();
        }
    }

    /** Every node that ever announced itself, and every live one. */
    private Set<String> knownNodes() {
        Set<String> known = new TreeSet<>(nodes.keySet());
        known.addAll(liveNodes);
        return known;
    }

    private long size(IMap<String, String> map) {
        try {
            return bounded("size of " + map.getName(), map::size, System.nanoTime() + timeoutNanos, false);
        } catch (ClusterUnavailableException e) {
            return -1;
        }
    }

    private synchronized void refresh(Set<Member> members) {
        Set<String> live = new HashSet<>();
        for (Member m : members) {
            String name = m.getAttribute(ClusterMemberConfig.NODE_ATTRIBUTE);
            if (name != null) {
                live.add(name);
            }
        }
        List<NodeAddress> others = new ArrayList<>();
        for (String name : live) {
            if (!name.equals(self)) {
                NodeAddress.of(nodes.get(name)).ifPresent(others::add);
            }
        }
        liveNodes = Set.copyOf(live);
        peers = List.copyOf(new LinkedHashSet<>(others));
    }

    private static String nodeOf(Member m) {
        String name = m.getAttribute(ClusterMemberConfig.NODE_ATTRIBUTE);
        return name == null ? String.valueOf(m.getAddress()) : name;
    }

    private Optional<Registration> decode(String aor, String node, String text) {
        try {
            return Optional.of(RegistrationText.decode(aor, text));
        } catch (RuntimeException e) {
            LOG.warn("bindings of {} published by {} are unreadable, ignored: {}", aor, node, e.toString());
            return Optional.empty();
        }
    }

    private static PairClaim decodeClaim(String key, String text) {
        try {
            return PairClaim.decode(text);
        } catch (RuntimeException e) {
            LOG.warn("claim of pair {} is unreadable, taken over: {}", key.replace('\n', ' '), e.toString());
            return null;
        }
    }

    /** A member that is down reads its local replicas still (the node names): no answer is better. */
    private void requireRunning(String what) throws ClusterUnavailableException {
        if (!member.getLifecycleService().isRunning()) {
            throw unavailable(what, "this node's cluster member is not running", null, true);
        }
    }

    private <T> T bounded(String what, Callable<T> operation, long deadline, boolean count)
            throws ClusterUnavailableException {
        Future<T> future;
        try {
            future = waits.submit(operation);
        } catch (RejectedExecutionException e) {
            throw unavailable(what, MAX_WAITING + " operations already waiting for the cluster", e, count);
        }
        return await(what, future, deadline, count);
    }

    private <T> T await(String what, Future<T> future, long deadline, boolean count)
            throws ClusterUnavailableException {
        try {
            return future.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            future.cancel(true);
            throw unavailable(what, "no answer within " + settings.operationTimeout().toMillis() + " ms", e, count);
        } catch (ExecutionException e) {
            throw unavailable(what, e.getCause().toString(), e.getCause(), count);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw unavailable(what, "interrupted", e, count);
        }
    }

    private ClusterUnavailableException unavailable(String what, String why, Throwable cause, boolean count) {
        if (count) {
            unavailable.incrementAndGet();
        }
        long now = System.nanoTime();
        long last = lastWarning.get();
        // one line per 10 s at most: a cluster that is down must not flood the log with every request
        if (now - last >= WARN_INTERVAL_NANOS && lastWarning.compareAndSet(last, now)) {
            LOG.warn("cluster unavailable for the {}: {} ({} operations so far handled as on one node)", what, why,
                    unavailable.get());
        }
        return new ClusterUnavailableException("cluster unavailable for the " + what + ": " + why, cause);
    }

    private void logFailure(String action, String aor, Throwable e) {
        if (e != null) {
            LOG.warn("could not {} the bindings of {} to the cluster: {}; they stay valid on this node", action, aor,
                    e.toString());
        }
    }

    /** Announcements change what {@link #isNode} and {@link #sipUriOf} answer. */
    private final class NodesListener implements EntryListener<String, String> {
        @Override
        public void entryAdded(EntryEvent<String, String> event) {
            refresh(members());
        }

        @Override
        public void entryUpdated(EntryEvent<String, String> event) {
            refresh(members());
        }

        @Override
        public void entryRemoved(EntryEvent<String, String> event) {
            refresh(members());
        }

        @Override
        public void entryEvicted(EntryEvent<String, String> event) {
            refresh(members());
        }

        @Override
        public void entryExpired(EntryEvent<String, String> event) {
            refresh(members());
        }

        @Override
        public void mapCleared(MapEvent event) {
            refresh(members());
        }

        @Override
        public void mapEvicted(MapEvent event) {
            refresh(members());
        }
    }
}
