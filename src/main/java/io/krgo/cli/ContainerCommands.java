package io.krgo.cli;

import io.krgo.runtime.Containers;
import io.krgo.runtime.StateDir;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code krgo ps}, {@code stop}, {@code rm} and {@code prune}: the containers {@code krgo run} made. */
final class ContainerCommands {
    private ContainerCommands() {
    }

    static Containers containers() {
        return new Containers(StateDir.fromEnvironment(System.getenv()));
    }

    @Command(name = "ps", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
            description = "List the containers krgo run made (running, and stopped ones not removed).")
    static final class Ps implements Callable<Integer> {
        @Option(names = "--json", description = "Print the list as JSON.")
        boolean json;

        @Override
        public Integer call() {
            List<Containers.Listed> list = containers().list();
            Output out = Output.forStdout(false);
            if (json) {
                List<Object> rows = new ArrayList<>();
                for (Containers.Listed l : list) {
                    java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
                    m.put("name", l.record().name());
                    m.put("status", l.status());
                    m.put("image", l.record().image());
                    m.put("created", l.record().created());
                    m.put("rootfs", l.record().rootfs());
                    rows.add(m);
                }
                out.json(rows);
            } else {
                out.always(String.format("%-20s %-8s %-28s %s", "NAME", "STATUS", "CREATED", "IMAGE"));
                for (Containers.Listed l : list) {
                    out.always(String.format("%-20s %-8s %-28s %s", l.record().name(), l.status(),
                            l.record().created(), l.record().image()));
                }
            }
            return ExitCodes.OK;
        }
    }

    @Command(name = "stop", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
            description = "Stop containers as docker stop does: the image's StopSignal, then SIGKILL after the timeout.")
    static final class Stop implements Callable<Integer> {
        @Option(names = {"-t", "--time"}, paramLabel = "S", defaultValue = "10",
                description = "Seconds to wait before SIGKILL (default: ${DEFAULT-VALUE}).")
        int seconds;

        @Parameters(paramLabel = "NAME", arity = "1..*")
        List<String> names;

        @Override
        public Integer call() {
            for (String n : names) {
                containers().stop(n, Duration.ofSeconds(seconds));
                System.out.println(n);
            }
            return ExitCodes.OK;
        }
    }

    @Command(name = "rm", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
            description = "Remove containers: the runtime's state, the overlay and the container directory.")
    static final class Rm implements Callable<Integer> {
        @Option(names = {"-f", "--force"}, description = "Kill a running container first.")
        boolean force;

        @Parameters(paramLabel = "NAME", arity = "1..*")
        List<String> names;

        @Override
        public Integer call() {
            for (String n : names) {
                containers().remove(n, force);
                System.out.println(n);
            }
            return ExitCodes.OK;
        }
    }

    @Command(name = "prune", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
            description = "Remove stopped containers, the unpacked images no remaining container uses, and the"
                    + " content store's blobs no pulled rootfs references.")
    static final class Prune implements Callable<Integer> {
        @Override
        public Integer call() {
            Containers.Pruned p = containers().prune();
            p.containers().forEach(n -> System.out.println("removed container " + n));
            p.images().forEach(i -> System.out.println("removed image sha256:" + i));
            System.out.println("Pruned " + p.containers().size() + " container(s), " + p.images().size() + " image(s)");
            io.krgo.rootfs.ContentStoreGc.Freed f;
            try (io.krgo.Krgo krgo = io.krgo.Krgo.withDefaults()) {
                f = krgo.pruneStore(); // after the images: their blobs are unreferenced now
            }
            System.out.println("Content store: freed " + Sizes.human(f.bytes()) + " (" + f.bytes() + " bytes): "
                    + f.blobs() + " blob(s) nothing references, " + f.tempFiles() + " temp file(s) of killed writers");
            return ExitCodes.OK;
        }
    }
}
