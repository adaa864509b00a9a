package io.glareresolver.integrationtests.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * CPU time and resident memory of a process and its descendants from {@code /proc}: fields 14
 * and 15 of {@code stat} (utime, stime, clock ticks of 10 ms) and {@code Pss} of
 * {@code smaps_rollup}: the proportional set size, each shared page divided among the processes
 * that map it, so a multi-process server's shared memory (Kamailio's shm) is counted once in the
 * sum where a sum of {@code VmRSS} counts it once per process. For one process Pss ≈ RSS less
 * its share of shared libraries. A process that ended meanwhile counts as nothing.
 */
final class ProcCpu {

    private static final long MILLIS_PER_TICK = 10;

    private ProcCpu() {
    }

    static long treeCpuMillis(ProcessHandle root) {
        return tree(root).mapToLong(ProcCpu::cpuMillis).sum();
    }

    static long treeRssKb(ProcessHandle root) {
        return tree(root).mapToLong(ProcCpu::rssKb).sum();
    }

    static long cpuMillis(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            // the command name (field 2) may hold spaces: count fields after its closing parenthesis
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * MILLIS_PER_TICK;
        } catch (IOException | RuntimeException gone) {
            return 0;
        }
    }

    static long rssKb(long pid) {
        try {
            return Files.readAllLines(Path.of("/proc", Long.toString(pid), "smaps_rollup")).stream()
                    .filter(l -> l.startsWith("Pss:")).mapToLong(l -> Long.parseLong(l.replaceAll("\\D", "")))
                    .findFirst().orElse(0);
        } catch (IOException | RuntimeException gone) {
            return 0;
        }
    }

    private static Stream<Long> tree(ProcessHandle root) {
        return Stream.concat(Stream.of(root), root.descendants()).map(ProcessHandle::pid);
    }
}
