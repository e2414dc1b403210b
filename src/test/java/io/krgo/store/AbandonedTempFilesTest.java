package io.krgo.store;

import io.krgo.image.Digest;
import io.krgo.testing.KrgoCli;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A writer killed with SIGKILL (as CI cancels jobs) runs no cleanup and leaves its {@code .part} in the
 * store's {@code tmp/}; the next store that writes removes it, but never a live writer's, nor a file krgo did
 * not name.
 */
class AbandonedTempFilesTest {
    @TempDir
    Path tmp;

    private Process startWriter(Path store) throws Exception {
        Process p = new ProcessBuilder(KrgoCli.javaCommand(List.of(), StoreWriteChild.class, store.toString()))
                .redirectErrorStream(true).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        assertThat(out.readLine()).as("child is writing a blob").isEqualTo("writing");
        return p;
    }

    private static List<Path> parts(Path dir, long pid) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().contains(".krgo-" + pid + "-")).toList();
        }
    }

    @Test
    void tempFileOfASigkilledWriterIsRemovedByTheNextWriteAndLiveOnesAreKept() throws Exception {
        Path root = tmp.resolve("cache");
        Path dir = root.resolve("tmp");
        Process live = startWriter(root);
        Process reuser = null;
        try {
            // This JVM's own temp file (another store object, as a concurrent writer in this process); made
            // before the kill, as this store's first write also looks for abandoned files.
            Path own = new BlobStore(root).newTempFile(null);
            Process killed = startWriter(root);
            long deadPid = killed.pid();
            killed.destroyForcibly(); // SIGKILL: no cleanup runs
            assertThat(killed.waitFor(30, TimeUnit.SECONDS)).isTrue();
            List<Path> dead = parts(dir, deadPid);
            assertThat(dead).as("SIGKILL leaves the temp file").hasSize(1);
            assertThat(dead.get(0).getFileName().toString()).endsWith(".part");
            assertThat(Files.size(dead.get(0))).isEqualTo(1 << 20);
            List<Path> liveParts = parts(dir, live.pid());
            assertThat(liveParts).hasSize(1);

            // Files krgo did not name, one of them with a dead pid in it.
            Path foreign = Files.writeString(dir.resolve("notes.part"), "x");
            Path foreignWithPid = Files.writeString(dir.resolve("mine-" + deadPid + ".part"), "x");
            // A dead owner's pid now used by a process that started after the file was last written.
            reuser = new ProcessBuilder("sleep", "60").start();
            Path reused = Files.writeString(dir.resolve("blob.krgo-" + reuser.pid() + "-123.part"), "x");
            Files.setLastModifiedTime(reused, FileTime.from(Instant.now().minus(Duration.ofHours(1))));
            // That process's own file, written after it started, stays.
            Path reuserOwn = Files.writeString(dir.resolve("blob.krgo-" + reuser.pid() + "-456.part"), "x");

            byte[] content = "content".getBytes(StandardCharsets.UTF_8);
            BlobStore later = new BlobStore(root);
            Path blob = later.put(Digest.sha256(content), content.length, new ByteArrayInputStream(content));

            assertThat(blob).hasBinaryContent(content);
            assertThat(dead.get(0)).as("temp file of the killed writer").doesNotExist();
            assertThat(reused).as("temp file of a reused pid").doesNotExist();
            assertThat(parts(dir, live.pid())).as("the live child's").isEqualTo(liveParts);
            assertThat(own).as("this JVM's own").exists();
            assertThat(reuserOwn).exists();
            assertThat(foreign).exists();
            assertThat(foreignWithPid).exists();
            assertThat(live.isAlive()).isTrue();
        } finally {
            live.destroyForcibly();
            if (reuser != null) {
                reuser.destroyForcibly();
            }
        }
    }
}
