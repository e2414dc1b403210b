package io.krgo.testing;

import io.krgo.sys.NativeFs;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * Everything a rootfs comparison cares about, per root-relative path (the root itself excluded): type,
 * full mode, owner, size, content hash, link target, hardlink group, xattrs (all namespaces), device
 * numbers and mtime (to the nanosecond, by statx). Symlinks are never followed. {@link #diff} gives
 * readable differences. The defaults suit comparing krgo with other tools; {@link Option}s make a snapshot
 * stricter where a test can be.
 */
public final class TreeSnapshot {
    /** Comparisons stricter than the default. */
    public enum Option {
        /**
         * Symlink mtimes to the nanosecond. Off by default because krgo and umoci set them with lutimes(2)
         * (microseconds); on where both trees' symlink times come from nanosecond-exact writers.
         */
        SYMLINK_MTIME_NANOS,
        /**
         * A name whose other links are all outside the tree (or in ignored paths) still counts as hardlinked,
         * grouped under its own path. Off by default so that links from outside (a cache, an ignored subtree)
         * do not show; on to catch a link count that differs between two trees.
         */
        LINKS_FROM_OUTSIDE
    }

    public record Node(String type, int mode, int uid, int gid, long size, String sha256, String linkTarget,
                       String hardlinkGroup, Map<String, String> xattrs, String device, FileTime mtime) {
    }

    private final TreeMap<String, Node> nodes;

    private TreeSnapshot(TreeMap<String, Node> nodes) {
        this.nodes = nodes;
    }

    public Map<String, Node> nodes() {
        return nodes;
    }

    /** @param ignore root-relative paths to leave out (with their subtrees) */
    public static TreeSnapshot of(Path root, String... ignore) {
        return of(root, Set.of(), ignore);
    }

    /** @param ignore root-relative paths to leave out (with their subtrees) */
    public static TreeSnapshot of(Path root, Set<Option> options, String... ignore) {
        TreeMap<String, Node> out = new TreeMap<>();
        Map<String, String> firstByInode = new HashMap<>();
        Map<String, Integer> linkCount = new HashMap<>();
        List<Path> paths;
        try (Stream<Path> s = Files.walk(root)) {
            paths = s.sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try {
            for (Path p : paths) {
                if (p.equals(root)) {
                    continue;
                }
                String rel = root.relativize(p).toString();
                boolean skip = false;
                for (String i : ignore) {
                    skip |= rel.equals(i) || rel.startsWith(i + "/");
                }
                if (skip) {
                    continue;
                }
                Map<String, Object> a = Files.readAttributes(p, "unix:*", LinkOption.NOFOLLOW_LINKS);
                int mode = (Integer) a.get("mode");
                int fmt = mode & 0170000;
                String type = switch (fmt) {
                    case 0100000 -> "file";
                    case 0040000 -> "dir";
                    case 0120000 -> "symlink";
                    case 0020000 -> "char";
                    case 0060000 -> "block";
                    case 0010000 -> "fifo";
                    case 0140000 -> "socket";
                    default -> "unknown";
                };
                // Any non-directory can have more than one name (symlinks, devices and fifos too).
                String ino = a.get("dev") + ":" + a.get("ino");
                String group = null;
                if (!type.equals("dir") && (Integer) a.get("nlink") > 1) {
                    group = firstByInode.computeIfAbsent(ino, k -> rel);
                    linkCount.merge(ino, 1, Integer::sum);
                }
                long rdev = (Long) a.get("rdev");
                String device = type.equals("char") || type.equals("block")
                        ? NativeFs.major(rdev) + ":" + NativeFs.minor(rdev) : null;
                Map<String, String> xattrs = new TreeMap<>();
                for (String name : NativeFs.llistxattr(p)) {
                    byte[] v = NativeFs.lgetxattr(p, name);
                    xattrs.put(name, v == null ? "" : render(v));
                }
                out.put(rel, new Node(type, mode & 07777, (Integer) a.get("uid"), (Integer) a.get("gid"),
                        type.equals("file") ? (Long) a.get("size") : 0,
                        type.equals("file") ? sha256(p) : null,
                        type.equals("symlink") ? Files.readSymbolicLink(p).toString() : null,
                        group, xattrs, device, mtimeOf(type, mtimeNanos(p), options)));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        // Groups with a single member inside the tree (link count from outside) are not groups, unless asked.
        out.replaceAll((k, n) -> !options.contains(Option.LINKS_FROM_OUTSIDE) && n.hardlinkGroup() != null
                && linkCount.getOrDefault(inodeOf(firstByInode, n.hardlinkGroup()), 0) < 2
                ? new Node(n.type(), n.mode(), n.uid(), n.gid(), n.size(), n.sha256(), n.linkTarget(), null,
                n.xattrs(), n.device(), n.mtime()) : n);
        return new TreeSnapshot(out);
    }

    /**
     * Symlink times are kept to the microsecond: umoci and the JDK set them with lutimes(2), which has
     * microsecond resolution, so nanoseconds of a symlink's mtime are not portable between tools.
     */
    private static FileTime mtimeOf(String type, FileTime t, Set<Option> options) {
        if (!type.equals("symlink") || options.contains(Option.SYMLINK_MTIME_NANOS)) {
            return t;
        }
        return FileTime.from(t.to(java.util.concurrent.TimeUnit.MICROSECONDS), java.util.concurrent.TimeUnit.MICROSECONDS);
    }

    /**
     * The mtime to the nanosecond: JDK 17's file attributes stop at microseconds, so statx(2) (through JNA;
     * its layout is the same on every architecture) reads it.
     */
    public static FileTime mtimeNanos(Path p) throws IOException {
        byte[] buf = new byte[256];
        byte[] path = (p.toString() + "\0").getBytes(StandardCharsets.UTF_8);
        if (Statx.statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, STATX_MTIME, buf) != 0) {
            throw new IOException("statx " + p + ": errno " + com.sun.jna.Native.getLastError());
        }
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(buf).order(java.nio.ByteOrder.nativeOrder());
        return FileTime.from(java.time.Instant.ofEpochSecond(b.getLong(STX_MTIME), b.getInt(STX_MTIME + 8)));
    }

    private static final int AT_FDCWD = -100;
    private static final int AT_SYMLINK_NOFOLLOW = 0x100;
    private static final int STATX_MTIME = 0x40;
    /** Offset of {@code stx_mtime} ({@code struct statx_timestamp}: s64 seconds, u32 nanoseconds). */
    private static final int STX_MTIME = 0x70;

    private static final class Statx {
        static {
            com.sun.jna.Native.register(Statx.class, com.sun.jna.NativeLibrary.getInstance("c"));
        }

        static native int statx(int dirfd, byte[] path, int flags, int mask, byte[] buf);
    }

    /** This snapshot less the xattrs whose names {@code drop} accepts (e.g. a tool's own records). */
    public TreeSnapshot withoutXattrs(java.util.function.Predicate<String> drop) {
        TreeMap<String, Node> out = new TreeMap<>();
        nodes.forEach((k, n) -> {
            Map<String, String> x = new TreeMap<>(n.xattrs());
            x.keySet().removeIf(drop);
            out.put(k, new Node(n.type(), n.mode(), n.uid(), n.gid(), n.size(), n.sha256(), n.linkTarget(),
                    n.hardlinkGroup(), x, n.device(), n.mtime()));
        });
        return new TreeSnapshot(out);
    }

    private static String inodeOf(Map<String, String> firstByInode, String group) {
        return firstByInode.entrySet().stream().filter(e -> e.getValue().equals(group)).map(Map.Entry::getKey)
                .findFirst().orElse("");
    }

    private static String render(byte[] v) {
        boolean printable = true;
        for (byte b : v) {
            printable &= b >= 0x20 && b < 0x7f;
        }
        return printable ? new String(v, StandardCharsets.US_ASCII) : "0x" + HexFormat.of().formatHex(v);
    }

    private static String sha256(Path p) throws IOException {
        MessageDigest md = io.krgo.image.Digest.newSha256();
        try (InputStream in = Files.newInputStream(p, LinkOption.NOFOLLOW_LINKS)) {
            byte[] buf = new byte[65536];
            int n;
            while ((n = in.read(buf)) > 0) {
                md.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    /** Readable differences ("path: field this != other"); empty when the trees are equal. */
    public List<String> diff(TreeSnapshot other) {
        List<String> d = new ArrayList<>();
        Set<String> all = new TreeSet<>(nodes.keySet());
        all.addAll(other.nodes.keySet());
        for (String p : all) {
            Node a = nodes.get(p);
            Node b = other.nodes.get(p);
            if (a == null) {
                d.add(p + ": only in other (" + b.type() + ")");
            } else if (b == null) {
                d.add(p + ": only in this (" + a.type() + ")");
            } else {
                cmp(d, p, "type", a.type(), b.type());
                cmp(d, p, "mode", Integer.toOctalString(a.mode()), Integer.toOctalString(b.mode()));
                cmp(d, p, "uid", a.uid(), b.uid());
                cmp(d, p, "gid", a.gid(), b.gid());
                cmp(d, p, "size", a.size(), b.size());
                cmp(d, p, "sha256", a.sha256(), b.sha256());
                cmp(d, p, "link", a.linkTarget(), b.linkTarget());
                cmp(d, p, "hardlink group", a.hardlinkGroup(), b.hardlinkGroup());
                cmp(d, p, "xattrs", a.xattrs(), b.xattrs());
                cmp(d, p, "device", a.device(), b.device());
                cmp(d, p, "mtime", a.mtime(), b.mtime());
            }
        }
        return d;
    }

    private static void cmp(List<String> d, String path, String field, Object a, Object b) {
        if (!Objects.equals(a, b)) {
            d.add(path + ": " + field + " " + a + " != " + b);
        }
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder();
        nodes.forEach((k, v) -> b.append(k).append(" ").append(v).append('\n'));
        return b.toString();
    }
}
