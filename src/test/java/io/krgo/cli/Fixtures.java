package io.krgo.cli;

import io.krgo.testing.TarBuilder;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** Layer tars with explicit directories, modes, a symlink and a whiteout, so unpacked trees are comparable. */
final class Fixtures {
    private static final long MTIME = 1_700_000_000L;

    private Fixtures() {
    }

    static Path baseLayer(Path file) {
        return new TarBuilder()
                .dir("etc/", 0755, 0, 0, MTIME)
                .file("etc/hello.txt", bytes("hello from layer one\n"), 0644, 0, 0, MTIME)
                .dir("bin/", 0755, 0, 0, MTIME)
                .file("bin/tool", bytes("#!/bin/sh\necho tool\n"), 0755, 0, 0, MTIME)
                .symlink("bin/tool-link", "tool", 0, 0, MTIME)
                .dir("var/", 0755, 0, 0, MTIME)
                .dir("var/secret/", 0700, 0, 0, MTIME)
                .file("var/secret/key", bytes("k3y\n"), 0600, 0, 0, MTIME)
                .writeTo(file);
    }

    static Path secondLayer(Path file) {
        return new TarBuilder()
                .dir("etc/", 0755, 0, 0, MTIME)
                .file("etc/hello.txt", bytes("hello, changed by layer two\n"), 0644, 0, 0, MTIME)
                .file("etc/second.txt", bytes("second layer\n"), 0640, 0, 0, MTIME)
                .dir("bin/", 0755, 0, 0, MTIME)
                .whiteout("bin/tool-link")
                .writeTo(file);
    }

    /** A layer with {@code size} bytes of incompressible content, for progress that takes a moment. */
    static Path bigLayer(Path file, int size) {
        byte[] data = new byte[size];
        new java.util.Random(7).nextBytes(data);
        return new TarBuilder()
                .dir("data/", 0755, 0, 0, MTIME)
                .file("data/blob.bin", data, 0644, 0, 0, MTIME)
                .writeTo(file);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
