package io.krgo;

import io.krgo.testing.OciFixtures;
import io.krgo.testing.OciFixtures.PlatformImage;
import io.krgo.testing.RegistryHarness;
import io.krgo.testing.TarBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The README's library example (examples/library-consumer) compiles against krgo's public API and pulls
 * an image from a real registry when run.
 */
class LibraryExampleTest {
    @TempDir
    Path work;

    @Test
    void theLibraryExampleCompilesAndPulls() throws Exception {
        Path source = Path.of("examples/library-consumer/src/main/java/example/PullExample.java");
        assertThat(source).exists();
        Path classes = Files.createDirectories(work.resolve("classes"));
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        ByteArrayOutputStream diagnostics = new ByteArrayOutputStream();
        int rc = javac.run(null, null, diagnostics, "--release", "17", "-d", classes.toString(),
                "-cp", System.getProperty("java.class.path"), source.toString());
        assertThat(rc).as(diagnostics.toString(StandardCharsets.UTF_8)).isZero();

        try (RegistryHarness registry = RegistryHarness.start(RegistryHarness.Mode.ANONYMOUS)) {
            Path layer = new TarBuilder().file("etc/greeting", "hello library\n").writeTo(work.resolve("l.tar"));
            OciFixtures.pushImage(registry, work, "lib/example:1", new PlatformImage("linux", "amd64", List.of(layer)));
            Path rootfs = work.resolve("rootfs");
            String oldCache = System.getProperty("krgo.cache");
            PrintStream oldOut = System.out;
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            System.setProperty("krgo.cache", work.resolve("cache").toString());
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            try (URLClassLoader loader = new URLClassLoader(new URL[] {classes.toUri().toURL()},
                    getClass().getClassLoader())) {
                Method main = loader.loadClass("example.PullExample").getMethod("main", String[].class);
                main.invoke(null, (Object) new String[] {registry.host() + "/lib/example:1", rootfs.toString()});
            } finally {
                System.setOut(oldOut);
                if (oldCache == null) {
                    System.clearProperty("krgo.cache");
                } else {
                    System.setProperty("krgo.cache", oldCache);
                }
            }
            assertThat(out.toString(StandardCharsets.UTF_8)).matches("(?s)pulled sha256:[0-9a-f]{64} \\(1 layers\\)\\s*");
            assertThat(Files.readString(rootfs.resolve("etc/greeting"))).isEqualTo("hello library\n");
            assertThat(rootfs.resolveSibling(".rootfs.krgo/git")).isDirectory();
        }
    }
}
