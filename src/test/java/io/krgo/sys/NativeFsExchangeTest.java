package io.krgo.sys;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** The atomic swap RootfsWriter uses to replace an existing rootfs without a moment when it is missing. */
class NativeFsExchangeTest {
    @TempDir
    Path work;

    @Test
    void exchangeSwapsTwoDirectoriesInOneStep() throws Exception {
        Path a = Files.createDirectories(work.resolve("a"));
        Path b = Files.createDirectories(work.resolve("b"));
        Files.writeString(a.resolve("from-a"), "a");
        Files.writeString(b.resolve("from-b"), "b");
        assertThat(NativeFs.exchange(a, b)).as("ext4/tmpfs support RENAME_EXCHANGE").isTrue();
        assertThat(a.resolve("from-b")).hasContent("b");
        assertThat(b.resolve("from-a")).hasContent("a");
        assertThat(a.resolve("from-a")).doesNotExist();
    }
}
