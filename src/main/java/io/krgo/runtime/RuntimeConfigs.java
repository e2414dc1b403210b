package io.krgo.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.krgo.error.FilesystemException;
import io.krgo.image.Json;
import io.krgo.layer.RootfsFiles;
import io.krgo.rootfs.RootfsLayout;
import io.krgo.store.BlobStore;
import io.krgo.sys.OutputFile;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Runtime configurations for a pulled rootfs, from the image config recorded beside it: an OCI
 * {@code config.json}, a {@code .nspawn} settings file or an LXC config. Nothing of the image config is
 * dropped silently: what the format cannot honour is returned in {@link Result#notHonoured()}.
 */
public final class RuntimeConfigs {
    /** The formats krgo writes. */
    public enum Format { OCI, NSPAWN, LXC }

    /**
     * @param file        where the config was written (null for standard output)
     * @param spec        the converted image config
     * @param notHonoured what of the image config (or the options) the format cannot honour
     */
    public record Result(Path file, ContainerSpec spec, List<String> notHonoured) {
        public Result {
            notHonoured = List.copyOf(notHonoured);
        }
    }

    private final BlobStore store;
    private final Map<String, String> hostEnv;
    private final String hostName;
    /** The user namespace's mapping for a rootless config, or null for root. */
    private final IdMapping rootless;
    /** Whether the config makes the user namespace itself (runc's rootless mode), else the runtime runs in it. */
    private final boolean ownNamespace;
    /** The seccomp section being converted for the next container, or null. */
    private final SeccompPreload preload;

    /**
     * @param store    consulted only for a rootfs pulled before krgo recorded the config's bytes; may be null
     * @param hostEnv  krgo's environment (for {@code -e KEY} without a value)
     * @param hostName the host's name
     */
    public RuntimeConfigs(BlobStore store, Map<String, String> hostEnv, String hostName) {
        this(store, hostEnv, hostName, null, false, null);
    }

    private RuntimeConfigs(BlobStore store, Map<String, String> hostEnv, String hostName, IdMapping rootless,
                           boolean ownNamespace, SeccompPreload preload) {
        this.store = store;
        this.hostEnv = Map.copyOf(hostEnv);
        this.hostName = hostName;
        this.rootless = rootless;
        this.ownNamespace = ownNamespace;
        this.preload = preload;
    }

    /**
     * These configs, with the seccomp section for {@code options} converted from now on on a thread of its
     * own: for a container whose image is still to be pulled (a hot run's config comes from
     * {@link BundleConfigCache} and needs none).
     */
    public RuntimeConfigs preloading(RunOptions options) {
        return new RuntimeConfigs(store, hostEnv, hostName, rootless, ownNamespace, SeccompPreload.start(options));
    }

    /**
     * OCI configs for a runtime started inside a user namespace with {@code mapping} (as {@code krgo run}
     * without root does): no user namespace of its own, {@code /sys} bound from the host when it shares the
     * host's network, and, with no subordinate ranges, the process as root (0:0, the only id mapped).
     */
    public RuntimeConfigs rootless(IdMapping mapping) {
        return new RuntimeConfigs(store, hostEnv, hostName, mapping, false, preload);
    }

    /**
     * OCI configs that a user without root starts with {@code runc} directly ({@code krgo config},
     * {@code pull --bundle}): the config's own user namespace maps only the caller (as root), which runc
     * writes itself; every file of the user's pull is the user's, so the process runs as root in it.
     */
    public RuntimeConfigs rootlessBundle(long uid, long gid) {
        return new RuntimeConfigs(store, hostEnv, hostName, new IdMapping(Long.toString(uid), uid, gid, List.of(),
                List.of()), true, preload);
    }

    /** The system's environment and host name. */
    public static RuntimeConfigs forThisHost(BlobStore store) {
        return new RuntimeConfigs(store, System.getenv(), HostName.get());
    }

    /** The default file for {@code format}: {@code config.json} beside DIR, {@code DIR.nspawn}, {@code DIR.lxc}. */
    public static Path defaultOutput(Path rootfs, Format format) {
        RootfsLayout layout = RootfsLayout.of(rootfs);
        String name = layout.dir().getFileName().toString();
        return switch (format) {
            case OCI -> layout.parent().resolve("config.json");
            case NSPAWN -> layout.parent().resolve(name + ".nspawn");
            case LXC -> layout.parent().resolve(name + ".lxc");
        };
    }

    /** Whether the image of {@code rootfs} has a command of its own (Entrypoint or Cmd). */
    public boolean hasCommand(Path rootfs) {
        return ImageConversion.hasCommand(RecordedConfig.read(rootfs, store));
    }

    /** The image config of {@code rootfs} converted with {@code options} (no file written). */
    public ContainerSpec spec(Path rootfs, RunOptions options) {
        JsonNode image = RecordedConfig.read(rootfs, store);
        return ImageConversion.convert(image, new RootfsFiles(RootfsLayout.of(rootfs).dir()), options,
                new EnvFiles(), hostEnv, hostName);
    }

    /**
     * Writes the config for {@code rootfs} in {@code format} to {@code output} (atomically), or to
     * {@code stdout} when {@code output} is null.
     */
    public Result write(Path rootfs, Format format, Path output, OutputStream stdout, RunOptions options) {
        RootfsLayout layout = RootfsLayout.of(rootfs);
        Path target = output == null ? null : output.toAbsolutePath().normalize();
        String rootPath = target != null && layout.parent().equals(target.getParent())
                ? layout.dir().getFileName().toString() : layout.dir().toString();
        List<String> notHonoured = new ArrayList<>();
        ContainerSpec spec = spec(rootfs, options);
        byte[] bytes = render(spec, rootfs, format, rootPath, layout.metaDir().resolve("etc"), null, options,
                notHonoured);
        try {
            if (output == null) {
                stdout.write(bytes);
                stdout.flush();
            } else {
                writeAtomically(target, bytes);
            }
        } catch (IOException e) {
            throw new FilesystemException("cannot write " + (output == null ? "the config" : output) + ": "
                    + e.getMessage(), e);
        }
        return new Result(output, spec, notHonoured);
    }

    /**
     * What a container needs of its bundle's config besides the file: the image's user (before a rootless
     * mapping makes it root), the StopSignal, and what the runtime cannot honour.
     */
    public record Bundle(Path config, ContainerUser user, String stopSignal, List<String> notHonoured) {
        public Bundle {
            notHonoured = List.copyOf(notHonoured);
        }
    }

    /**
     * Writes {@code bundle/config.json} for a container of the image unpacked in {@code imageRootfs}, with
     * {@code root.path} = {@code rootPath} (relative to the bundle when inside it) and the generated hosts
     * files in {@code bundle/etc}, after docker's 126/127 check ({@link Executables}). With {@code cacheDir}
     * (an image krgo unpacked, which nothing changes) the config of an earlier container with the same inputs
     * is taken from there ({@link BundleConfigCache}), and a new one is kept there.
     */
    public Bundle writeBundle(Path imageRootfs, Path rootPath, Path bundle, RunOptions options, Path cacheDir) {
        String root = rootPath.startsWith(bundle) ? bundle.relativize(rootPath).toString() : rootPath.toString();
        BundleConfigCache cache = cacheDir == null ? null : new BundleConfigCache(cacheDir);
        String key = cache == null ? null : BundleConfigKey.of(imageRootfs, root, options, hostEnv, hostName,
                rootless, ownNamespace);
        BundleConfigCache.Entry entry = key == null ? null : cache.get(key).orElse(null);
        if (entry == null) {
            ContainerSpec spec = spec(imageRootfs, options);
            Executables.check(new RootfsFiles(imageRootfs), spec);
            List<String> notHonoured = new ArrayList<>();
            byte[] bytes = render(spec, imageRootfs, Format.OCI, root, bundle.resolve("etc"), bundle, options,
                    notHonoured);
            entry = new BundleConfigCache.Entry(bytes, spec.user(), spec.hostname(), spec.stopSignal(), notHonoured);
            if (key != null) {
                cache.put(key, entry);
            }
        } else {
            HostFiles.write(bundle.resolve("etc"), entry.hostname(), options.network()); // each container's own
        }
        try {
            writeAtomically(bundle.resolve("config.json"), entry.config());
        } catch (IOException e) {
            throw new FilesystemException("cannot write " + bundle.resolve("config.json") + ": " + e.getMessage(), e);
        }
        return new Bundle(bundle.resolve("config.json"), entry.user(), entry.stopSignal(), entry.notHonoured());
    }

    /** {@code bundle}: host files under it are named relative to it (a bundle that moves keeps working), or null. */
    private byte[] render(ContainerSpec spec, Path rootfs, Format format, String rootPath, Path hostFilesDir,
                          Path bundle, RunOptions options, List<String> notHonoured) {
        RootfsLayout layout = RootfsLayout.of(rootfs);
        notHonoured.addAll(spec.notHonoured());
        List<String> caps = Capabilities.effective(options.capAdd(), options.capDrop());
        boolean unconfined = "unconfined".equals(options.seccomp());
        String userSpec = options.user() != null ? options.user()
                : RecordedConfig.read(rootfs, store).path("config").path("User").asText("");
        return switch (format) {
            case OCI -> {
                ObjectNode seccomp = unconfined ? null : seccomp(seccompFile(options), caps);
                Map<String, String> binds = HostFiles.write(hostFilesDir, spec.hostname(), options.network());
                if (bundle != null) {
                    binds.replaceAll((destination, source) -> Path.of(source).startsWith(bundle)
                            ? bundle.relativize(Path.of(source)).toString() : source);
                }
                yield pretty(OciSpec.build(rootless != null && !rootless.hasRanges() ? spec.asRoot() : spec, options,
                        rootPath, caps, seccomp, binds, rootless, ownNamespace));
            }
            case NSPAWN -> NspawnSettings.render(spec, options, caps, userSpec, new RootfsFiles(layout.dir()),
                    notHonoured).getBytes(StandardCharsets.UTF_8);
            case LXC -> {
                Map<String, String> binds = HostFiles.write(hostFilesDir, spec.hostname(), options.network());
                yield LxcConfig.render(spec, options, layout.dir(), caps, binds, !unconfined, notHonoured)
                        .getBytes(StandardCharsets.UTF_8);
            }
        };
    }

    private static void writeAtomically(Path abs, byte[] bytes) throws IOException {
        OutputFile.write(abs, out -> out.write(bytes));
    }

    private static byte[] pretty(ObjectNode config) {
        try {
            byte[] json = Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(config);
            byte[] out = java.util.Arrays.copyOf(json, json.length + 1);
            out[json.length] = '\n';
            return out;
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The seccomp profile file {@code options} name (containers' default unless {@code seccomp=FILE}). */
    static Path seccompFile(RunOptions options) {
        return options.seccomp() == null ? SeccompProfile.CONTAINERS_DEFAULT : Path.of(options.seccomp());
    }

    private ObjectNode seccomp(Path file, List<String> caps) {
        ObjectNode preloaded = preload == null ? null : preload.get(file, caps);
        return preloaded != null ? preloaded : SeccompProfile.load(file, caps, kernelRelease());
    }

    static String kernelRelease() {
        try {
            return Files.readString(Path.of("/proc/sys/kernel/osrelease")).strip();
        } catch (IOException e) {
            return System.getProperty("os.version", "0.0");
        }
    }
}
