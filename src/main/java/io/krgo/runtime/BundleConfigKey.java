package io.krgo.runtime;

import io.krgo.rootfs.RootfsLayout;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * The key of a {@link BundleConfigCache} entry: everything an OCI config's conversion reads, as text. Files
 * count by identity and change time (inode, size, mtime, ctime), env files by content; krgo itself by its
 * jar's, so a new krgo converts again. Missing an input here would hand a container a stale config: every
 * input of {@link RuntimeConfigs#writeBundle} is either in the key or makes the config uncacheable.
 */
final class BundleConfigKey {
    private static final long MAX_ENV_FILE_BYTES = 1024 * 1024;

    private BundleConfigKey() {
    }

    /** The key, or null when the config cannot be reused (it holds the container's name, or an input is unreadable). */
    static String of(Path imageRootfs, String rootPath, RunOptions options, Map<String, String> hostEnv,
                     String hostName, IdMapping rootless, boolean ownNamespace) {
        if (options.network() == RunOptions.Network.NONE && options.hostname() == null) {
            return null; // the host name is the container's name: a new one for every container
        }
        StringBuilder k = new StringBuilder("krgo ").append(stamp(codeLocation()));
        field(k, imageRootfs.toAbsolutePath().toString());
        field(k, stamp(RootfsLayout.of(imageRootfs).metadata().configJson()));
        field(k, rootPath);
        options(k, options);
        field(k, hostName);
        field(k, rootless == null ? "root" : rootless.uid() + ":" + rootless.gid() + " " + rootless.uidMap() + " "
                + rootless.gidMap());
        field(k, String.valueOf(ownNamespace));
        field(k, String.valueOf(Files.isRegularFile(HostFiles.HOST_RESOLV_CONF)));
        if (!"unconfined".equals(options.seccomp())) {
            field(k, stamp(options.seccomp() == null ? Path.of(SeccompProfile.CONTAINERS_DEFAULT_FILE)
                    : Path.of(options.seccomp())));
            field(k, RuntimeConfigs.kernelRelease());
        }
        boolean readsHostEnv = !options.envFiles().isEmpty();
        for (String e : options.env()) {
            readsHostEnv |= e.indexOf('=') < 0;
        }
        for (Path f : options.envFiles()) {
            try {
                if (Files.size(f) > MAX_ENV_FILE_BYTES) {
                    return null;
                }
                field(k, new String(Files.readAllBytes(f), StandardCharsets.UTF_8));
            } catch (IOException e) {
                return null; // the conversion reports it
            }
        }
        if (readsHostEnv) {
            field(k, new TreeMap<>(hostEnv).toString());
        }
        return k.toString();
    }

    /**
     * Every component of {@code options} but the name, which does not reach the config (see above). Written out,
     * not the record's toString, whose first call costs a hot run ~20 ms of method-handle set-up; a test
     * checks that a change of each component changes the key.
     */
    private static void options(StringBuilder k, RunOptions o) {
        list(k, o.env());
        field(k, Integer.toString(o.envFiles().size()));
        for (Path f : o.envFiles()) {
            field(k, f.toString());
        }
        field(k, String.valueOf(o.workdir()));
        field(k, String.valueOf(o.user()));
        field(k, String.valueOf(o.entrypoint()));
        list(k, o.args());
        list(k, o.capAdd());
        list(k, o.capDrop());
        field(k, String.valueOf(o.seccomp()));
        field(k, o.network().name());
        for (RunOptions.Volume v : o.volumes()) {
            field(k, v.host() + " " + v.readOnly());
            field(k, v.container());
        }
        field(k, o.readOnly() + " " + o.terminal() + " " + o.volumes().size());
        field(k, String.valueOf(o.hostname()));
    }

    private static void list(StringBuilder k, java.util.List<String> values) {
        field(k, Integer.toString(values.size()));
        for (String v : values) {
            field(k, v);
        }
    }

    private static void field(StringBuilder k, String value) {
        k.append('\0').append(value.length()).append(':').append(value);
    }

    /** A file's identity and change times, or "absent". */
    private static String stamp(Path file) {
        if (file == null) {
            return "unknown";
        }
        try {
            Map<String, Object> a = Files.readAttributes(file, "unix:ino,size,lastModifiedTime,ctime");
            return file + " " + a.get("ino") + " " + a.get("size") + " " + a.get("lastModifiedTime") + " " + a.get("ctime");
        } catch (IOException | UnsupportedOperationException e) {
            return file + " absent";
        }
    }

    /** krgo's jar (or classes directory). */
    private static Path codeLocation() {
        try {
            return Path.of(BundleConfigKey.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (Exception e) {
            return null;
        }
    }
}
