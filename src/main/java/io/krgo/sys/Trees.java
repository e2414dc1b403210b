package io.krgo.sys;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/** Removing trees without following symlinks, also when a (rootless) image made directories read-only. */
public final class Trees {
    private Trees() {
    }

    /**
     * Deletes {@code path} and everything below it; a missing path is fine. Never follows symlinks. A
     * directory that denies its owner access (a rootless tree of mode 0000 or 0555 directories) is made
     * accessible before it is opened: {@code Files.walkFileTree} opens a directory before it can be changed.
     */
    public static void deleteRecursively(Path path) throws IOException {
        BasicFileAttributes a;
        try {
            a = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return;
        }
        if (!a.isDirectory()) {
            Files.delete(path);
            return;
        }
        deleteDirectory(path);
    }

    private static void deleteDirectory(Path dir) throws IOException {
        makeWritable(dir);
        List<Path> children = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            ds.forEach(children::add);
        }
        for (Path child : children) {
            if (Files.isDirectory(child, LinkOption.NOFOLLOW_LINKS)) {
                deleteDirectory(child);
            } else {
                Files.deleteIfExists(child);
            }
        }
        Files.delete(dir);
    }

    /** Deletes quietly (cleanup paths where a second failure must not hide the first). */
    public static void deleteQuietly(Path path) {
        try {
            deleteRecursively(path);
        } catch (IOException | RuntimeException ignored) {
            // best effort
        }
    }

    private static void makeWritable(Path dir) throws IOException {
        if (Files.isWritable(dir) && Files.isExecutable(dir) && Files.isReadable(dir)) {
            return;
        }
        try {
            Set<PosixFilePermission> p = EnumSet.noneOf(PosixFilePermission.class);
            p.addAll(Files.getPosixFilePermissions(dir, LinkOption.NOFOLLOW_LINKS));
            p.addAll(EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE,
                    PosixFilePermission.OWNER_EXECUTE));
            Files.setPosixFilePermissions(dir, p);
        } catch (AccessDeniedException e) {
            // not ours: the delete will report it
        }
    }
}
