package io.krgo.runtime;

import io.krgo.error.FilesystemException;
import io.krgo.error.NotFoundException;
import io.krgo.error.UsageException;
import io.krgo.layer.RootfsFiles;
import io.krgo.sys.Trees;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/** The containers in a {@link StateDir}: create, list, stop, remove, prune. */
public final class Containers {
    private static final Pattern NAME = Pattern.compile("[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}");

    private final StateDir state;

    public Containers(StateDir state) {
        this.state = state;
    }

    /** A container as {@code ps} shows it: its record and the runtime's status (running, stopped, gone). */
    public record Listed(ContainerRecord record, String status) {
    }

    /** What {@code prune} freed. */
    public record Pruned(List<String> containers, List<String> images) {
    }

    /**
     * Creates a container on the unpacked image {@code imageRootfs}: an overlay of it in the container's own
     * directory (a copy where overlayfs cannot be mounted, said through {@code warn}), or, with
     * {@code inPlace}, {@code imageRootfs} itself ({@code -r DIR}).
     */
    public Container create(String image, Path imageRootfs, boolean inPlace, RunOptions options,
                            RuntimeConfigs configs, OciRuntime runtime, Consumer<String> warn) {
        String name = options.name().equals("krgo") ? "krgo-" + UUID.randomUUID().toString().substring(0, 8)
                : options.name();
        if (!NAME.matcher(name).matches()) {
            throw new UsageException("invalid container name '" + name + "': letters, digits, _ . - only");
        }
        Path dir = state.container(name);
        try {
            Files.createDirectories(state.containers());
            Files.createDirectory(dir);
        } catch (java.nio.file.FileAlreadyExistsException e) {
            throw new UsageException("a container named " + name + " exists (krgo rm " + name + ")");
        } catch (IOException e) {
            throw new FilesystemException("cannot create " + dir + ": " + e.getMessage(), e);
        }
        try {
            Path root = inPlace ? imageRootfs : dir.resolve("rootfs");
            boolean overlay = false;
            if (!inPlace) {
                overlay = Overlay.mount(imageRootfs, dir.resolve("upper"), dir.resolve("work"), root);
                if (!overlay) {
                    warn.accept("overlayfs cannot be mounted here; the container gets a copy of the image");
                    Overlay.copy(imageRootfs, root);
                }
            }
            RuntimeConfigs.Result r = configs.writeBundle(imageRootfs, root, dir, options.withName(name));
            if (!r.notHonoured().isEmpty()) {
                warn.accept("not honoured by oci: " + String.join("; ", r.notHonoured()));
            }
            Executables.check(new RootfsFiles(imageRootfs), r.spec());
            ContainerRecord record = new ContainerRecord(name, image, inPlace ? null : imageRootfs.toString(),
                    root.toString(), overlay, r.spec().stopSignal(), runtime.binary().toString(),
                    Instant.now().toString(), ProcessHandle.current().pid());
            record.write(dir);
            return new Container(record, dir, runtime);
        } catch (IOException e) {
            Overlay.unmount(dir.resolve("rootfs"));
            Trees.deleteQuietly(dir);
            throw new FilesystemException("cannot create container " + name + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            Overlay.unmount(dir.resolve("rootfs"));
            Trees.deleteQuietly(dir);
            throw e;
        }
    }

    public List<Listed> list() {
        List<Listed> out = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(state.containers())) {
            for (Path d : ds) {
                Optional<ContainerRecord> r = ContainerRecord.read(d);
                if (r.isPresent()) {
                    String status = runtimeOf(r.get()).status(r.get().name());
                    out.add(new Listed(r.get(), status == null ? "exited" : status));
                }
            }
        } catch (NoSuchFileException none) {
            return out;
        } catch (IOException e) {
            throw new FilesystemException("cannot list " + state.containers() + ": " + e.getMessage(), e);
        }
        out.sort(java.util.Comparator.comparing(l -> l.record().created()));
        return out;
    }

    private ContainerRecord get(String name) {
        return ContainerRecord.read(state.container(name))
                .orElseThrow(() -> new NotFoundException("no container named " + name));
    }

    /** docker stop: the StopSignal, then SIGKILL after {@code timeout}. */
    public void stop(String name, Duration timeout) {
        ContainerRecord r = get(name);
        Container.stop(runtimeOf(r), r, timeout);
    }

    /** Removes a stopped container; with {@code force} a running one is stopped first (SIGKILL at once). */
    public void remove(String name, boolean force) {
        ContainerRecord r = get(name);
        OciRuntime runtime = runtimeOf(r);
        String status = runtime.status(name);
        if (status != null && !status.equals("stopped")) {
            if (!force) {
                throw new UsageException("container " + name + " is " + status + "; stop it first or use rm -f");
            }
            Container.stop(runtime, r, Duration.ZERO);
        }
        Container.remove(runtime, r, state.container(name));
    }

    /**
     * Removes the containers no krgo process runs any more (stopped ones, and running ones whose krgo was
     * killed outright: stopped first), then unpacked images no remaining container uses.
     */
    public Pruned prune() {
        List<String> containers = new ArrayList<>();
        Set<String> used = new HashSet<>();
        for (Listed l : list()) {
            // A container whose krgo still runs (starting it, waiting for it, removing it) is that krgo's business.
            if (!ownerGone(l.record())) {
                if (l.record().imageDir() != null) {
                    used.add(Path.of(l.record().imageDir()).getParent().getFileName().toString());
                }
                continue;
            }
            Container.remove(runtimeOf(l.record()), l.record(), state.container(l.record().name()));
            containers.add(l.record().name());
        }
        List<String> images = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(state.images())) {
            for (Path d : ds) {
                if (!d.getFileName().toString().startsWith(".") && !used.contains(d.getFileName().toString())) {
                    Trees.deleteQuietly(d);
                    images.add(d.getFileName().toString());
                }
            }
        } catch (NoSuchFileException none) {
            // no images yet
        } catch (IOException e) {
            throw new FilesystemException("cannot list " + state.images() + ": " + e.getMessage(), e);
        }
        Trees.deleteQuietly(state.refs()); // they name images; the next run resolves its reference again
        return new Pruned(containers, images);
    }

    /**
     * Whether the krgo process that ran the container in the foreground is gone (killed outright): then
     * nobody waits for it, and prune stops and removes it. {@code rm -f} does so whoever runs it.
     */
    private static boolean ownerGone(ContainerRecord r) {
        Optional<ProcessHandle> owner = ProcessHandle.of(r.pid());
        if (owner.isEmpty()) {
            return true;
        }
        Optional<Instant> started = owner.get().info().startInstant();
        return started.isPresent() && started.get().isAfter(Instant.parse(r.created()).plusSeconds(60));
    }

    private static OciRuntime runtimeOf(ContainerRecord r) {
        return new OciRuntime(Path.of(r.runtime()));
    }
}
