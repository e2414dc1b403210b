package io.krgo.build;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The built jar accepts the class-data-sharing archive the build dumped (run after package, by the
 * jar-tests execution in the pom). {@code -Xshare:on} makes a refused archive fatal, where the launcher's
 * {@code -Xshare:auto -Xlog:cds=off} would silently run without it (start-up 0.1 s -> 0.3 s): a class-path
 * mismatch between dump and run is the way it breaks. Also checks krgo's classes really come from it.
 */
class CdsArchiveIT {
    private static final Path JAR = Path.of("target/krgo.jar");
    private static final Path ARCHIVE = Path.of("target/krgo.jsa");

    @Test
    void theJarRunsWithItsArchiveRequired() throws Exception {
        assertThat(JAR).as("the packaged jar (run after mvn package)").isRegularFile();
        assertThat(ARCHIVE).as("the archive the package phase dumps").isRegularFile();
        Result r = run(List.of(java(), "-XX:SharedArchiveFile=" + ARCHIVE, "-Xshare:on",
                "-Xlog:class+load=info", "-jar", JAR.toString(), "--version"));
        assertThat(r.code).as("exit code; output:\n" + r.output).isZero();
        assertThat(r.output).contains("krgo ");
        assertThat(r.output).as("Main loaded from the archive")
                .containsPattern("io\\.krgo\\.cli\\.Main source: shared objects file");
        assertThat(r.output).as("no build-only class in the archive or the jar").doesNotContain("io.krgo.build.");
    }

    @Test
    void theLauncherRunsWithTheArchiveRequired() throws Exception {
        assertThat(ARCHIVE).as("the archive the package phase dumps").isRegularFile();
        // The launcher's own options come first; -Xshare:on after its -Xshare:auto wins.
        ProcessBuilder pb = new ProcessBuilder("bash", "krgo", "--version");
        pb.environment().put("KRGO_JAVA_OPTS", "-Xshare:on -Xlog:class+load=info");
        Result r = run(pb);
        assertThat(r.code).as("exit code; output:\n" + r.output).isZero();
        assertThat(r.output).containsPattern("io\\.krgo\\.cli\\.Main source: shared objects file");
    }

    @Test
    void trainingClassesAreNotInTheJar() throws Exception {
        Result r = run(List.of(Path.of(System.getProperty("java.home"), "bin", "jar").toString(), "tf",
                JAR.toString()));
        assertThat(r.code).isZero();
        assertThat(r.output).contains("io/krgo/cli/Main.class").doesNotContain("io/krgo/build/");
    }

    private static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private record Result(int code, String output) {
    }

    private static Result run(List<String> command) throws IOException, InterruptedException {
        return run(new ProcessBuilder(new ArrayList<>(command)));
    }

    private static Result run(ProcessBuilder pb) throws IOException, InterruptedException {
        pb.redirectErrorStream(true);
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        return new Result(p.waitFor(), new String(out, StandardCharsets.UTF_8));
    }
}
