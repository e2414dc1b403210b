package io.krgo.cli;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Layer tars with explicit directories, modes, a symlink and a whiteout, so unpacked trees are comparable. */
final class Fixtures {
    private static final long MTIME = 1_700_000_000_000L;

    private Fixtures() {
    }

    static Path baseLayer(Path file) {
        return write(file, tar -> {
            dir(tar, "etc/", 0755);
            file(tar, "etc/hello.txt", "hello from layer one\n", 0644);
            dir(tar, "bin/", 0755);
            file(tar, "bin/tool", "#!/bin/sh\necho tool\n", 0755);
            link(tar, "bin/tool-link", "tool");
            dir(tar, "var/", 0755);
            dir(tar, "var/secret/", 0700);
            file(tar, "var/secret/key", "k3y\n", 0600);
        });
    }

    static Path secondLayer(Path file) {
        return write(file, tar -> {
            dir(tar, "etc/", 0755);
            file(tar, "etc/hello.txt", "hello, changed by layer two\n", 0644);
            file(tar, "etc/second.txt", "second layer\n", 0640);
            dir(tar, "bin/", 0755);
            file(tar, "bin/.wh.tool-link", "", 0644);
        });
    }

    /** A layer with {@code size} bytes of incompressible content, for progress that takes a moment. */
    static Path bigLayer(Path file, int size) {
        byte[] data = new byte[size];
        new java.util.Random(7).nextBytes(data);
        return write(file, tar -> {
            dir(tar, "data/", 0755);
            TarArchiveEntry e = new TarArchiveEntry("data/blob.bin");
            e.setSize(data.length);
            e.setMode(0100644);
            e.setModTime(MTIME);
            tar.putArchiveEntry(e);
            tar.write(data);
            tar.closeArchiveEntry();
        });
    }

    private interface Body {
        void write(TarArchiveOutputStream tar) throws IOException;
    }

    private static Path write(Path file, Body body) {
        try (OutputStream out = Files.newOutputStream(file); TarArchiveOutputStream tar = new TarArchiveOutputStream(out)) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            body.write(tar);
            tar.finish();
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void dir(TarArchiveOutputStream tar, String name, int mode) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(name);
        e.setMode(040000 | mode);
        e.setModTime(MTIME);
        tar.putArchiveEntry(e);
        tar.closeArchiveEntry();
    }

    private static void file(TarArchiveOutputStream tar, String name, String content, int mode) throws IOException {
        byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
        TarArchiveEntry e = new TarArchiveEntry(name);
        e.setSize(bytes.length);
        e.setMode(0100000 | mode);
        e.setModTime(MTIME);
        tar.putArchiveEntry(e);
        tar.write(bytes);
        tar.closeArchiveEntry();
    }

    private static void link(TarArchiveOutputStream tar, String name, String target) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(name, TarConstants.LF_SYMLINK);
        e.setLinkName(target);
        e.setModTime(MTIME);
        tar.putArchiveEntry(e);
        tar.closeArchiveEntry();
    }
}
