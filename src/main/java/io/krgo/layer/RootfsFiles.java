package io.krgo.layer;

import io.krgo.error.KrgoException;
import io.krgo.error.UnsafeImageException;
import io.krgo.tar.ByteNames;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * Reads files of a rootfs as a process inside it would (the runtime's user lookup, the applier's ACL names): every symlink, the last one too, resolved inside
 * the rootfs with {@link SafeRoot}'s semantics ({@code ..} stops at the root, absolute targets start at it),
 * so an image's {@code /etc/passwd -> /etc/shadow} reads the image's shadow file, never the host's. Reads
 * are streamed and bounded: a huge or endless file costs bounded memory and fails with a clear error.
 */
public final class RootfsFiles {
    private static final int MAX_LINKS = 40;
    /** Longer lines (no passwd or group entry is this long) are skipped, not buffered. */
    public static final int MAX_LINE_BYTES = 64 * 1024;
    /** The largest passwd or group file read; a real one is a few kB even with thousands of users. */
    public static final long MAX_FILE_BYTES = 16L * 1024 * 1024;

    private final SafeRoot root;

    public RootfsFiles(Path rootfs) {
        this.root = new SafeRoot(rootfs);
    }

    public Path dir() {
        return root.root();
    }

    /**
     * The host path of the regular file {@code name} (absolute in the container) with every symlink
     * followed inside the rootfs; empty when there is none (absent, a directory, a dangling link, a
     * component that is not a directory, or a link chain ending in {@code ..}).
     */
    public Optional<Path> regularFile(String name) {
        return lookup(name).file();
    }

    /**
     * What {@link #lookup} found: {@code file} when {@code name} is a regular file; {@code denied} when this
     * process may not look (a directory on the way it cannot search, e.g. a rootless check outside the user
     * namespace meeting a 0700 directory of a subordinate id), so the answer is unknown, not "absent".
     */
    public record Lookup(Optional<Path> file, boolean denied) {
        static final Lookup NONE = new Lookup(Optional.empty(), false);
        static final Lookup DENIED = new Lookup(Optional.empty(), true);
    }

    /** {@link #regularFile}, telling "absent" apart from "not allowed to look". */
    public Lookup lookup(String name) {
        String current = name;
        for (int links = 0; links <= MAX_LINKS; links++) {
            SafeRoot.Resolved r;
            try {
                r = root.resolve(current, false, null);
            } catch (KrgoException notAFileName) {
                // e.g. a parent that is a file, or a name ending in ".."; or one this process may not search
                return notAFileName.getCause() instanceof AccessDeniedException ? Lookup.DENIED : Lookup.NONE;
            }
            BasicFileAttributes a;
            try {
                a = Files.readAttributes(r.path(), BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            } catch (AccessDeniedException denied) {
                return Lookup.DENIED;
            } catch (IOException absent) {
                return Lookup.NONE;
            }
            if (a.isRegularFile()) {
                return new Lookup(Optional.of(r.path()), false);
            }
            if (!a.isSymbolicLink()) {
                return Lookup.NONE;
            }
            String target;
            try {
                target = ByteNames.name(Files.readSymbolicLink(r.path()));
            } catch (AccessDeniedException denied) {
                return Lookup.DENIED;
            } catch (IOException e) {
                return Lookup.NONE;
            }
            int slash = r.rel().lastIndexOf('/');
            String parent = slash < 0 ? "" : r.rel().substring(0, slash);
            current = target.startsWith("/") ? target : parent + "/" + target;
        }
        throw new UnsafeImageException("/" + name + " in " + root.root() + ": too many levels of symbolic links");
    }

    /** Whether {@code name} is a directory (links followed inside the rootfs). */
    public boolean isDirectory(String name) {
        try {
            // every component of name, the last too, is walked (and its links followed) as a parent of "x"
            SafeRoot.Resolved r = root.resolve(name + "/x", false, null);
            return Files.isDirectory(r.path().getParent(), LinkOption.NOFOLLOW_LINKS);
        } catch (KrgoException notADirectory) {
            return false;
        }
    }

    /**
     * Calls {@code line} for each line of {@code name} (resolved as {@link #regularFile}) until it returns
     * true; false when the file is absent. Lines over {@link #MAX_LINE_BYTES} are skipped.
     *
     * @throws UnsafeImageException when the file is larger than {@link #MAX_FILE_BYTES}
     */
    public boolean scanLines(String name, Predicate<String> line) {
        Optional<Path> file = regularFile(name);
        if (file.isEmpty()) {
            return false;
        }
        // NOFOLLOW: the path was resolved above; a link swapped in since is refused, not followed.
        try (InputStream in = new BufferedInputStream(Channels.newInputStream(Files.newByteChannel(file.get(),
                StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)), 64 * 1024)) {
            ByteArrayOutputStream current = new ByteArrayOutputStream();
            boolean tooLong = false;
            long total = 0;
            int b;
            while ((b = in.read()) >= 0) {
                if (++total > MAX_FILE_BYTES) {
                    throw new UnsafeImageException(name + " in " + root.root() + " is larger than "
                            + MAX_FILE_BYTES / (1024 * 1024) + " MiB; refusing to read it");
                }
                if (b == '\n') {
                    if (!tooLong && line.test(current.toString(StandardCharsets.UTF_8))) {
                        return true;
                    }
                    current.reset();
                    tooLong = false;
                } else if (!tooLong) {
                    if (current.size() >= MAX_LINE_BYTES) {
                        tooLong = true;
                        current.reset();
                    } else {
                        current.write(b);
                    }
                }
            }
            if (!tooLong && current.size() > 0) {
                line.test(current.toString(StandardCharsets.UTF_8));
            }
            return true;
        } catch (NoSuchFileException gone) {
            return false;
        } catch (IOException e) {
            throw new io.krgo.error.FilesystemException("cannot read " + name + " in " + root.root() + ": "
                    + e.getMessage(), e);
        }
    }
}
