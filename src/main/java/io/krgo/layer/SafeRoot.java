package io.krgo.layer;

import io.krgo.error.FilesystemException;
import io.krgo.error.UnsafeImageException;
import io.krgo.tar.ByteNames;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A directory treated as {@code /}: every tar name is resolved inside it with filepath-securejoin
 * semantics. Symlinks met on the way (absolute or relative, made by earlier entries or layers) are
 * followed inside the root, {@code ..} clamps at the root, and the final component is never followed
 * (the caller creates or replaces it). Not thread-safe: one extraction at a time.
 */
public final class SafeRoot {
    /** Linux PATH_MAX including the terminating NUL. */
    static final int PATH_MAX = 4096;
    static final int NAME_MAX = 255;
    private static final int MAX_LINKS = 255;

    private final Path root;
    /** Root-relative paths known to be real directories, each with only real directories above it. */
    private final Set<String> knownDirs = new HashSet<>();

    /** A resolved name: the host path and the clean root-relative path ("" for the root itself). */
    public record Resolved(Path path, String rel) {
        public boolean isRoot() {
            return rel.isEmpty();
        }
    }

    public SafeRoot(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    public Path root() {
        return root;
    }

    /**
     * Resolves a tar entry name for writing: the parent chain fully resolved inside the root, the final
     * component not followed.
     *
     * @param createParents create missing intermediate directories (0755) on the way
     * @param created       receives root-relative paths of directories created on the way; may be null
     */
    public Resolved resolve(String name, boolean createParents, List<String> created) {
        List<String> comps = components(name);
        if (comps.isEmpty()) {
            return new Resolved(root, "");
        }
        String last = comps.get(comps.size() - 1);
        if (last.equals("..")) {
            throw new UnsafeImageException("entry '" + printable(name) + "' names a parent directory");
        }
        String parent = knownParent(comps);
        if (parent == null) {
            parent = walk(comps.subList(0, comps.size() - 1), name, createParents, created);
        }
        String rel = parent.isEmpty() ? last : parent + "/" + last;
        return new Resolved(ByteNames.resolve(root, rel), rel);
    }

    /**
     * The parent of the last component when it is, as written, a directory already known to be real: what
     * {@link #walk} would return, without its per-component lookups (most entries of a layer land in a
     * directory an earlier entry made). Null when unknown or when a component is "..". Every known
     * directory's ancestors are real directories too (each was resolved, or created, on the way to it), and
     * {@link #forget} drops a directory with its subtree when it is removed or replaced.
     */
    private String knownParent(List<String> comps) {
        int n = comps.size() - 1;
        if (n == 0) {
            return "";
        }
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < n; i++) {
            String c = comps.get(i);
            if (c.equals("..")) {
                return null;
            }
            if (i > 0) {
                b.append('/');
            }
            b.append(c);
        }
        String parent = b.toString();
        return knownDirs.contains(parent) ? parent : null;
    }

    /**
     * Forgets {@code rel} and everything below it; call after removing or replacing a directory there.
     * Removing a file or a symlink changes no known directory (none is one, nor lies below one), and
     * nothing outside the subtree changes, so a layer that replaces many files keeps its lookups.
     */
    public void forget(String rel) {
        if (rel.isEmpty()) {
            knownDirs.clear();
            return;
        }
        knownDirs.remove(rel);
        String below = rel + "/";
        knownDirs.removeIf(d -> d.startsWith(below));
    }

    /** Notes that {@code rel} is now a real directory (created by the caller). */
    public void noteDirectory(String rel) {
        knownDirs.add(rel);
    }

    /**
     * Validates a raw tar name and splits it into components, dropping empty ones and "." and stripping
     * leading "/" and "./" as tar does.
     */
    public static List<String> components(String name) {
        if (name == null || name.indexOf('\0') >= 0) {
            throw new UnsafeImageException("entry name contains a NUL byte: '" + printable(name) + "'");
        }
        // A char encodes to at most 3 UTF-8 bytes (a surrogate pair, 2 chars, to 4): short names need no encoding.
        if (name.length() * 3 >= PATH_MAX && name.getBytes(StandardCharsets.UTF_8).length >= PATH_MAX) {
            throw new UnsafeImageException("entry name is longer than PATH_MAX (" + PATH_MAX + " bytes): '"
                    + printable(name.substring(0, 80)) + "...'");
        }
        List<String> out = new ArrayList<>();
        for (String c : name.split("/")) {
            if (c.isEmpty() || c.equals(".")) {
                continue;
            }
            if (c.length() * 3 > NAME_MAX && c.getBytes(StandardCharsets.UTF_8).length > NAME_MAX) {
                throw new UnsafeImageException("entry '" + printable(name) + "' has a component longer than "
                        + NAME_MAX + " bytes");
            }
            out.add(c);
        }
        return out;
    }

    private String walk(List<String> comps, String name, boolean createParents, List<String> created) {
        Deque<String> todo = new ArrayDeque<>(comps);
        List<String> cur = new ArrayList<>();
        int links = 0;
        boolean missing = false;
        while (!todo.isEmpty()) {
            String c = todo.pollFirst();
            if (c.isEmpty() || c.equals(".")) {
                continue;
            }
            if (c.equals("..")) {
                if (!cur.isEmpty()) {
                    cur.remove(cur.size() - 1);
                }
                // A missing component made the rest lexical; going up may re-enter existing directories.
                missing = false;
                continue;
            }
            cur.add(c);
            String rel = String.join("/", cur);
            if (missing || knownDirs.contains(rel)) {
                continue;
            }
            Path host = ByteNames.resolve(root, rel);
            BasicFileAttributes a;
            try {
                a = Files.readAttributes(host, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            } catch (NoSuchFileException e) {
                if (createParents) {
                    mkdir(host, rel, created);
                } else {
                    missing = true;
                }
                continue;
            } catch (IOException e) {
                throw new FilesystemException("cannot inspect " + host + ": " + e.getMessage(), e);
            }
            if (a.isDirectory()) {
                knownDirs.add(rel);
            } else if (a.isSymbolicLink()) {
                if (++links > MAX_LINKS) {
                    throw new UnsafeImageException("entry '" + printable(name) + "': too many levels of symbolic links");
                }
                String target;
                try {
                    target = ByteNames.name(Files.readSymbolicLink(host));
                } catch (IOException e) {
                    throw new FilesystemException("cannot read link " + host + ": " + e.getMessage(), e);
                }
                cur.remove(cur.size() - 1);
                if (target.startsWith("/")) {
                    cur.clear();
                }
                String[] parts = target.split("/");
                for (int i = parts.length - 1; i >= 0; i--) {
                    todo.addFirst(parts[i]);
                }
            } else {
                throw new UnsafeImageException("entry '" + printable(name) + "': /" + rel + " is not a directory");
            }
        }
        return String.join("/", cur);
    }

    private void mkdir(Path host, String rel, List<String> created) {
        try {
            Files.createDirectory(host);
            if (created != null) {
                created.add(rel);
            }
        } catch (FileAlreadyExistsException e) {
            // Raced with ourselves only; re-checked by the next lookup.
            if (!Files.isDirectory(host, LinkOption.NOFOLLOW_LINKS)) {
                throw new UnsafeImageException("/" + rel + " is not a directory");
            }
        } catch (IOException e) {
            throw new FilesystemException("cannot create directory " + host + ": " + e.getMessage(), e);
        }
        knownDirs.add(rel);
    }

    /** The name with control characters escaped, for messages. */
    public static String printable(String s) {
        if (s == null) {
            return "null";
        }
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length() && i < 300; i++) {
            char ch = s.charAt(i);
            if (ch < 0x20 || ch == 0x7f) {
                b.append(String.format("\\x%02x", (int) ch));
            } else if (ByteNames.isEscapedByte(s, i)) {
                b.append(String.format("\\x%02x", ch & 0xff)); // a byte of a name that is not UTF-8 (ByteNames)
            } else {
                b.append(ch);
            }
        }
        return b.toString();
    }
}
