package io.krgo.build;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The CDS training must really run the commands: a failing step would leave its classes out of the archive. */
class PipelineTrainingTest {
    @TempDir
    Path work;

    @Test
    void everyTrainingCommandSucceeds() throws Exception {
        List<Integer> codes = PipelineTraining.run(work);
        assertThat(codes).as("exit codes of pull, re-pull, pull --force, pull -g, commit, push, push zstd, inspect, digest,"
                + " config, ps, prune").hasSize(12).containsOnly(0);
        assertThat(work.resolve("config.json")).content().contains("\"/bin/true\"", "\"A=1\"");
        assertThat(work.resolve("plain/usr/lib/libtraining.so")).hasContent("not really a library");
        assertThat(work.resolve("plain/usr/share/doc/f1.txt")).doesNotExist();
        assertThat(work.resolve("plain/var/cache/old")).doesNotExist();
        assertThat(Files.isSymbolicLink(work.resolve("plain/lib"))).isTrue();
        assertThat(work.resolve("git/etc/added.conf")).exists();
    }
}
