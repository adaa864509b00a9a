package io.glareresolver.integrationtests.bench;

import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import io.glareresolver.glare.impl.crossing.CallLeg;
import io.glareresolver.glare.impl.crossing.CrossingParty;
import io.glareresolver.glare.impl.crossing.CrossingResolver;
import io.glareresolver.glare.impl.crossing.PendingInvites;
import io.glareresolver.glare.impl.crossing.TiebreakSource;
import io.glareresolver.protocol.TiebreakValue;

/**
 * JMH of the plugin's decision code (bundle {@code impl.crossing}, plain Java): the plan a crossing
 * gets ({@link CrossingResolver#plan}) and the pending-INVITE table's arrival/removal that detects it.
 * The plugin's classes come from its jar (the runtime's {@code deploy/glare-bundle.jar}), which
 * {@link GlareBenchIT} puts on the forked JVM's class path.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class CrossingResolverBenchmark {

    private CrossingParty first;
    private CrossingParty second;
    private CallLeg legAB;
    private CallLeg legBA;
    private PendingInvites<String> table;

    @Setup
    public void setUp() {
        legAB = new CallLeg("alice@127.0.0.1", "bob@127.0.0.1");
        legBA = legAB.reverse();
        first = new CrossingParty(legAB, "call-1", Optional.of(TiebreakValue.id(1001)), OptionalLong.of(1001), true,
                OptionalInt.of(40000));
        second = new CrossingParty(legBA, "call-2", Optional.of(TiebreakValue.id(1002)), OptionalLong.of(1002), true,
                OptionalInt.of(40002));
        table = new PendingInvites<>(10_000);
        for (int i = 0; i < 1000; i++) {
            table.arrive(new CallLeg("u" + i + "@127.0.0.1", "v" + i + "@127.0.0.1"), "pending-" + i); // a busy table
        }
    }

    /** One crossing's decision, for both sides. */
    @Benchmark
    public Object plan() {
        return CrossingResolver.plan(first, second, TiebreakSource.ENDPOINT);
    }

    /** Detecting a crossing: the first INVITE arrives, the second crosses it, both leave the table. */
    @Benchmark
    public Object detectCrossing() {
        table.arrive(legAB, "a");
        Object crossed = table.arrive(legBA, "b");
        table.remove(legAB, "a");
        table.remove(legBA, "b");
        return crossed;
    }
}
