package io.krgo.runtime;

import io.krgo.error.FilesystemException;
import io.krgo.error.NotFoundException;
import io.krgo.error.UsageException;
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
import java.util.function.Consumer;
import java.util.regex.Pattern;

/** The containers in a {@link StateDir}: create, list, stop, remove, prune. */
public final class Containers {
    private static final Pattern NAME = Pattern.compile("[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}");

    private final StateDir state;
    /** Rootless: the caller's user namespace, in which containers run and their files are removed; null as root. */
    private final UserNamespace userns;

    /** The containers of this process's user: in its user namespace unless it is root. */
    public Containers(StateDir state) {
        this(state, io.krgo.layer.ApplyOptions.isRoot() ? null : UserNamespace.forThisProcess());
    }

    public Containers(StateDir state, UserNamespace userns) {
        this.state = state;
        this.userns = userns;
    }

    /** The user namespace containers run in, or null as root. */
    public UserNamespace userNamespace() {
        return userns;
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
        boolean generated = options.name().equals("krgo");
        String name = generated ? generatedName() : options.name();
        if (!NAME.matcher(name).matches()) {
            throw new UsageException("invalid container name '" + name + "': letters, digits, _ . - only");
        }
        // -r DIR: the rootfs of the user's own pull, all its files the user's: only the caller is mapped, so DIR
        // never gets files of subordinate ids that the user could not delete
        UserNamespace ns = userns == null ? null : inPlace ? new UserNamespace(userns.mapping().callerOnly()) : userns;
        if (ns != null) {
            ns.check();
            if (!inPlace && !ns.mapping().hasRanges()) {
                warn.accept("no subordinate ids for " + userns.mapping().user() + " in /etc/subuid and /etc/subgid:"
                        + " the container maps only you, so every owner in it collapses to root and it runs as root"
                        + " (usermod --add-subuids/--add-subgids gives ranges)");
            }
        }
        Path dir = state.container(name);
        for (int attempt = 1; ; attempt++) {
            try {
                Files.createDirectories(state.containers());
                Files.createDirectory(dir);
                break;
            } catch (java.nio.file.FileAlreadyExistsException e) {
                if (!generated || attempt == 10) {
                    throw new UsageException("a container named " + name + " exists (krgo rm " + name + ")");
                }
                name = generatedName();
                dir = state.container(name);
            } catch (IOException e) {
                throw new FilesystemException("cannot create " + dir + ": " + e.getMessage(), e);
            }
        }
        Overlay.Mounting mounting = null;
        try {
            Path root = inPlace ? imageRootfs : dir.resolve("rootfs");
            boolean overlay = false;
            if (!inPlace && ns == null) {
                mounting = Overlay.startMount(imageRootfs, dir.resolve("upper"), dir.resolve("work"), root);
            } else if (!inPlace) {
                overlay = rootlessOverlay(ns, imageRootfs, dir, root, warn);
            }
            // an unpacked image never changes: configs of its earlier containers are kept beside it
            RuntimeConfigs.Bundle b = (ns == null ? configs : configs.rootless(ns.mapping()))
                    .writeBundle(imageRootfs, root, dir, options.withName(name),
                            inPlace ? null : imageRootfs.resolveSibling("bundles"));
            if (ns != null) {
                checkMapped(ns.mapping(), b.user());
                if (inPlace && b.user().uid() != 0) {
                    warn.accept("run -r DIR without root maps only you (DIR's files are yours, root inside): the"
                            + " container runs as root, not as uid " + b.user().uid());
                }
            }
            if (!b.notHonoured().isEmpty()) {
                warn.accept("not honoured by oci: " + String.join("; ", b.notHonoured()));
            }
            if (mounting != null) {
                overlay = mounting.await();
                mounting = null;
                if (!overlay) {
                    warn.accept("overlayfs cannot be mounted here; the container gets a copy of the image");
                    Overlay.copy(imageRootfs, root);
                }
            }
            ContainerRecord record = new ContainerRecord(name, image, inPlace ? null : imageRootfs.toString(),
                    root.toString(), overlay, b.stopSignal(), runtime.binary().toString(),
                    Instant.now().toString(), ProcessHandle.current().pid());
            record.write(dir);
            return new Container(record, dir, runtimeOf(record), b.notHonoured(), ns);
        } catch (IOException e) {
            discard(dir, mounting);
            throw new FilesystemException("cannot create container " + name + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            discard(dir, mounting);
            throw e;
        }
    }

    /**
     * {@code krgo-} and 8 random hex digits. Not from {@code UUID.randomUUID()}: its SecureRandom loads the
     * security providers (~10 ms of a hot run); a name taken already is drawn again.
     */
    private static String generatedName() {
        String hex = Long.toHexString(java.util.concurrent.ThreadLocalRandom.current().nextLong() | (1L << 63));
        return "krgo-" + hex.substring(0, 8);
    }

    /**
     * Rootless: whether the overlay can be mounted in the user namespace (it is mounted for real when the
     * container starts, in the runtime's mount namespace); else a copy made inside the namespace, so the
     * subordinate owners stay.
     */
    private static boolean rootlessOverlay(UserNamespace userns, Path imageRootfs, Path dir, Path root,
                                           Consumer<String> warn) throws IOException {
        Overlay.createDirs(dir.resolve("upper"), dir.resolve("work"), root);
        if (userns.canMountOverlay(Overlay.options(imageRootfs, dir.resolve("upper"), dir.resolve("work")), root)) {
            return true;
        }
        warn.accept("overlayfs cannot be mounted in the user namespace here; the container gets a copy of the image");
        Files.delete(root);
        userns.copy(imageRootfs, root);
        return false;
    }

    /** runc's "cannot set uid to unmapped user", said before starting and with the ranges. */
    private static void checkMapped(IdMapping m, ContainerUser user) {
        if (!m.hasRanges()) {
            return; // the process runs as root (RuntimeConfigs.rootless)
        }
        List<Long> gids = new ArrayList<>(List.of(user.gid()));
        user.additionalGids().forEach(g -> gids.add(g));
        if (user.uid() > m.maxUid()) {
            throw new UsageException("the container's user uid " + user.uid() + " is beyond the ids mapped for you: "
                    + m.describe());
        }
        for (long g : gids) {
            if (g > m.maxGid()) {
                throw new UsageException("the container's user gid " + g + " is beyond the ids mapped for you: "
                        + m.describe());
            }
        }
    }

    private void discard(Path dir, Overlay.Mounting mounting) {
        if (mounting != null) {
            mounting.await(); // mounted or not, it is done before the directory goes
        }
        if (userns != null) {
            try {
                userns.delete(dir);
            } catch (RuntimeException e) {
                Trees.deleteQuietly(dir);
            }
            return;
        }
        Overlay.unmount(dir.resolve("rootfs"));
        Trees.deleteQuietly(dir);
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
        Container.remove(runtime, r, state.container(name), userns);
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
            Container.remove(runtimeOf(l.record()), l.record(), state.container(l.record().name()), userns);
            containers.add(l.record().name());
        }
        List<String> images = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(state.images())) {
            for (Path d : ds) {
                if (!d.getFileName().toString().startsWith(".") && !used.contains(d.getFileName().toString())) {
                    delete(d);
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

    /** Removes what the containers' user may own through subordinate ids (in the namespace when rootless). */
    private void delete(Path p) {
        if (userns == null) {
            Trees.deleteQuietly(p);
        } else {
            userns.delete(p);
        }
    }

    /** Rootless runtimes keep their state in krgo's state directory ({@code runc/}), as root the runtime's default. */
    private OciRuntime runtimeOf(ContainerRecord r) {
        OciRuntime runtime = new OciRuntime(Path.of(r.runtime()));
        return userns == null ? runtime : runtime.withRoot(state.root().resolve("runc"));
    }
}
