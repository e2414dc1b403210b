package io.krgo.runtime;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.reflect.Constructor;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A hot run takes its config.json from the configs of earlier containers of the same image
 * ({@link BundleConfigCache}) only when every input of the conversion is the same ({@link BundleConfigKey}):
 * a stale config would run the wrong process, environment or confinement.
 */
class BundleConfigCacheTest {
    @TempDir
    Path tmp;
    private Path image;
    private Path cacheDir;
    private Path envFile;
    private Path seccomp;

    @BeforeEach
    void image() throws Exception {
        image = tmp.resolve("images/abc/rootfs");
        Files.createDirectories(image.resolve("bin"));
        Files.createDirectories(image.resolve("etc"));
        Path bin = Files.writeString(image.resolve("bin/hello"), "#!/bin/sh\n");
        Files.setPosixFilePermissions(bin, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.writeString(image.resolve("etc/passwd"), "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n");
        Files.writeString(image.resolve("etc/group"), "root:x:0:\napp:x:1000:\n");
        Files.createDirectories(tmp.resolve("images/abc/.rootfs.krgo"));
        Files.writeString(tmp.resolve("images/abc/.rootfs.krgo/config.json"), "{\"architecture\":\"amd64\",\"os\":\"linux\","
                + "\"config\":{\"Cmd\":[\"hello\"],\"Env\":[\"PATH=/bin\"],\"User\":\"app\",\"StopSignal\":\"SIGQUIT\"}}");
        cacheDir = tmp.resolve("images/abc/bundles");
        envFile = Files.writeString(tmp.resolve("env"), "A=1\n");
        seccomp = Files.writeString(tmp.resolve("seccomp.json"), "{\"defaultAction\":\"SCMP_ACT_ALLOW\"}");
    }

    private RunOptions base() {
        return new RunOptions(List.of("X=1"), List.of(), null, null, null, List.of(), List.of(), List.of(),
                seccomp.toString(), RunOptions.Network.HOST, List.of(), false, "box", "c1", false);
    }

    private String key(RunOptions o) {
        return BundleConfigKey.of(image, "rootfs", o, Map.of("HOME", "/root"), "host", null, false);
    }

    @Test
    void aChangeOfAnyRunOptionButTheNameChangesTheKey() throws Exception {
        RunOptions base = base();
        String baseKey = key(base);
        assertThat(baseKey).isNotNull();
        RecordComponent[] components = RunOptions.class.getRecordComponents();
        Class<?>[] types = new Class<?>[components.length];
        for (int i = 0; i < components.length; i++) {
            types[i] = components[i].getType();
        }
        Constructor<RunOptions> canonical = RunOptions.class.getDeclaredConstructor(types);
        for (int i = 0; i < components.length; i++) {
            Object[] values = new Object[components.length];
            for (int j = 0; j < components.length; j++) {
                values[j] = components[j].getAccessor().invoke(base);
            }
            values[i] = changed(components[i], values[i]);
            String k = key(canonical.newInstance(values));
            if (components[i].getName().equals("name")) {
                assertThat(k).as("name").isEqualTo(baseKey); // with the host network the name is not in the config
            } else {
                assertThat(k).as(components[i].getName()).isNotEqualTo(baseKey);
            }
        }
        assertThat(RunOptions.class.getRecordComponents()).as("a new option needs a line in BundleConfigKey")
                .hasSize(15);
    }

    private Object changed(RecordComponent c, Object value) {
        Class<?> t = c.getType();
        if (t == boolean.class) {
            return !(Boolean) value;
        }
        if (t == String.class) {
            return value + "x";
        }
        if (t == RunOptions.Network.class) {
            return RunOptions.Network.NONE; // the base has a --hostname, so the key stays defined
        }
        Object element = ((ParameterizedType) c.getGenericType()).getActualTypeArguments()[0];
        if (element == Path.class) {
            return List.of(envFile);
        }
        if (element == RunOptions.Volume.class) {
            return List.of(new RunOptions.Volume(tmp, "/data", true));
        }
        return List.of("CAP_SYS_ADMIN");
    }

    @Test
    void filesAndTheHostCountToo() throws Exception {
        RunOptions withEnvFile = new RunOptions(List.of("HOME"), List.of(envFile), null, null, null, List.of(),
                List.of(), List.of(), seccomp.toString(), RunOptions.Network.HOST, List.of(), false, null, "c", false);
        String k = key(withEnvFile);
        Files.writeString(envFile, "A=2\n");
        assertThat(key(withEnvFile)).as("env file content").isNotEqualTo(k);
        k = key(withEnvFile);
        Files.writeString(seccomp, "{\"defaultAction\":\"SCMP_ACT_ERRNO\"}");
        assertThat(key(withEnvFile)).as("seccomp profile").isNotEqualTo(k);
        k = key(withEnvFile);
        assertThat(BundleConfigKey.of(image, "rootfs", withEnvFile, Map.of("HOME", "/home/x"), "host", null, false))
                .as("-e HOME takes krgo's HOME").isNotEqualTo(k);
        assertThat(BundleConfigKey.of(image, "rootfs", withEnvFile, Map.of("HOME", "/root"), "other", null, false))
                .as("host name").isNotEqualTo(k);
        IdMapping mapping = new IdMapping("u", 1000, 1000, List.of(new SubordinateIds.Range(100000, 65536)),
                List.of(new SubordinateIds.Range(100000, 65536)));
        assertThat(BundleConfigKey.of(image, "rootfs", withEnvFile, Map.of("HOME", "/root"), "host", mapping, false))
                .as("rootless").isNotEqualTo(k);
        assertThat(BundleConfigKey.of(image, "/abs/rootfs", withEnvFile, Map.of("HOME", "/root"), "host", null, false))
                .as("root path").isNotEqualTo(k);
        Files.writeString(tmp.resolve("images/abc/.rootfs.krgo/config.json"), "{}");
        assertThat(key(withEnvFile)).as("recorded image config").isNotEqualTo(k);
        Files.delete(envFile);
        assertThat(key(withEnvFile)).as("an unreadable env file: no reuse").isNull();
        RunOptions noNetwork = new RunOptions(List.of(), List.of(), null, null, null, List.of(), List.of(), List.of(),
                null, RunOptions.Network.NONE, List.of(), false, null, "c", false);
        assertThat(key(noNetwork)).as("--network none: the host name is the container's name").isNull();
    }

    @Test
    void aSecondContainerTakesTheStoredConfigAndEachGetsItsOwnHostFiles() throws Exception {
        RuntimeConfigs configs = new RuntimeConfigs(null, Map.of(), "host");
        RunOptions options = base();
        Path b1 = tmp.resolve("containers/c1");
        RuntimeConfigs.Bundle first = configs.writeBundle(image, b1.resolve("rootfs"), b1, options, cacheDir);
        String json = Files.readString(b1.resolve("config.json"), StandardCharsets.UTF_8);
        // relative to the bundle: the same bytes serve every container
        assertThat(json).contains("\"path\" : \"rootfs\"", "\"source\" : \"etc/hosts\"", "\"source\" : \"etc/hostname\"",
                "\"uid\" : 1000");
        assertThat(first.user().uid()).isEqualTo(1000);
        assertThat(first.stopSignal()).isEqualTo("SIGQUIT");
        try (var entries = Files.list(cacheDir)) {
            assertThat(entries.toList()).hasSize(1);
        }
        // what is stored under the key is what the next container gets (proved with a marked entry)
        String key = key(options);
        new BundleConfigCache(cacheDir).put(key, new BundleConfigCache.Entry("{\"marked\":true}\n".getBytes(
                StandardCharsets.UTF_8), new ContainerUser(7, 8, List.of(9L), "m", "/m"), "h2", "SIGUSR1", List.of("n")));
        Path b2 = tmp.resolve("containers/c2");
        RuntimeConfigs.Bundle second = configs.writeBundle(image, b2.resolve("rootfs"), b2, options.withName("c2"),
                cacheDir);
        assertThat(Files.readString(b2.resolve("config.json"))).isEqualTo("{\"marked\":true}\n");
        assertThat(second.user()).isEqualTo(new ContainerUser(7, 8, List.of(9L), "m", "/m"));
        assertThat(second.stopSignal()).isEqualTo("SIGUSR1");
        assertThat(second.notHonoured()).containsExactly("n");
        assertThat(Files.readString(b2.resolve("etc/hostname"))).isEqualTo("h2\n");
        assertThat(Files.readString(b2.resolve("etc/hosts"))).contains("127.0.1.1\th2");
        // an entry under another key's name (a hash collision) is a miss
        Files.copy(cacheDir.resolve(io.krgo.sys.KeyHash.of(key)), cacheDir.resolve(io.krgo.sys.KeyHash.of("other")));
        assertThat(new BundleConfigCache(cacheDir).get("other")).isEmpty();
        Files.delete(cacheDir.resolve(io.krgo.sys.KeyHash.of("other")));
        // a damaged entry is converted again and replaced
        try (var entries = Files.list(cacheDir)) {
            Path entry = entries.filter(p -> !p.getFileName().toString().startsWith(".")).findFirst().orElseThrow();
            Files.write(entry, "krgo-bundle-config 1\n\0\0".getBytes(StandardCharsets.US_ASCII));
        }
        Path b3 = tmp.resolve("containers/c3");
        configs.writeBundle(image, b3.resolve("rootfs"), b3, options.withName("c3"), cacheDir);
        assertThat(Files.readString(b3.resolve("config.json"))).isEqualTo(json);
        assertThat(new BundleConfigCache(cacheDir).get(key)).isPresent();
        // without a cache directory (run -r DIR) nothing is stored
        Path b4 = tmp.resolve("containers/c4");
        configs.writeBundle(image, b4.resolve("rootfs"), b4, options, null);
        assertThat(Files.readString(b4.resolve("config.json"))).isEqualTo(json);
    }

    @Test
    void aPreloadedSeccompSectionGivesTheSameConfigAndIsIgnoredForOtherOptions() throws Exception {
        Files.writeString(seccomp, "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":[\"read\"],"
                + "\"action\":\"SCMP_ACT_ALLOW\"},{\"names\":[\"reboot\"],\"action\":\"SCMP_ACT_ALLOW\","
                + "\"includes\":{\"caps\":[\"CAP_SYS_BOOT\"]}}]}");
        RuntimeConfigs configs = new RuntimeConfigs(null, Map.of(), "host");
        RunOptions options = base();
        Path plain = tmp.resolve("containers/plain");
        configs.writeBundle(image, plain.resolve("rootfs"), plain, options, null);
        Path pre = tmp.resolve("containers/pre");
        configs.preloading(options).writeBundle(image, pre.resolve("rootfs"), pre, options, null);
        assertThat(Files.readString(pre.resolve("config.json"))).isEqualTo(Files.readString(plain.resolve("config.json")))
                .doesNotContain("reboot");
        // preloaded for the default capabilities, used with --cap-add SYS_BOOT: converted again, reboot allowed
        RunOptions boot = new RunOptions(options.env(), List.of(), null, null, null, List.of(), List.of("SYS_BOOT"),
                List.of(), seccomp.toString(), RunOptions.Network.HOST, List.of(), false, "box", "c2", false);
        Path other = tmp.resolve("containers/other");
        configs.preloading(options).writeBundle(image, other.resolve("rootfs"), other, boot, null);
        assertThat(Files.readString(other.resolve("config.json"))).contains("\"reboot\"");
    }
}
