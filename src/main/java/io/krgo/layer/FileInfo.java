package io.krgo.layer;

import io.krgo.error.FilesystemException;
import io.krgo.tar.ByteNames;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Everything a layer tar can say about one path, read with lstat (never following a symlink), plus the
 * identity fields (dev, ino, nlink, ctime) used for cheap change detection and hardlink groups.
 *
 * @param path   root-relative, '/'-separated, no leading '/'
 * @param mode   permission bits incl. suid/sgid/sticky (07777)
 * @param uid    the image's owner: from {@code user.rootlesscontainers} when present, else the real one
 * @param mtime  modification time in nanoseconds since the epoch
 * @param xattrs sorted, without {@code user.rootlesscontainers} (which is krgo's/umoci's owner record)
 */
public record FileInfo(String path, Type type, int mode, long uid, long gid, long size, long mtime,
                       int devMajor, int devMinor, String linkTarget, SortedMap<String, byte[]> xattrs,
                       long dev, long ino, int nlink, long ctime) {

    public enum Type {
        FILE('f'), DIR('d'), SYMLINK('l'), CHAR('c'), BLOCK('b'), FIFO('p'), SOCKET('s');

        public final char code;

        Type(char code) {
            this.code = code;
        }

        public static Type ofCode(char c) {
            for (Type t : values()) {
                if (t.code == c) {
                    return t;
                }
            }
            throw new IllegalArgumentException("unknown file type code " + c);
        }
    }

    /** The process's effective ids, read once: what a rootless tree's own files are owned by. */
    private record Caller(long uid, long gid) {
        boolean rootless() {
            return uid != 0;
        }

        static Caller read() {
            try {
                Map<String, Object> a = Files.readAttributes(Path.of("/proc/self"), "unix:uid,gid");
                return new Caller((Integer) a.get("uid") & 0xffffffffL, (Integer) a.get("gid") & 0xffffffffL);
            } catch (IOException | UnsupportedOperationException e) {
                return new Caller(0, 0); // as root: owners are taken as they are
            }
        }
    }

    private static final Caller CALLER = Caller.read();

    /** umoci's convention for a rootless extraction's original owner: protobuf {uint32 uid=1; uint32 gid=2}. */
    public static final String ROOTLESS_XATTR = "user.rootlesscontainers";

    public FileInfo {
        xattrs = Collections.unmodifiableSortedMap(new TreeMap<>(xattrs));
    }

    private static final String UNIX_ATTRIBUTES = "unix:mode,ino,dev,nlink,uid,gid,rdev,size,lastModifiedTime,ctime";

    public static FileInfo read(Path root, String rel, XattrReader xattrReader) {
        Path p = rel.isEmpty() ? root : ByteNames.resolve(root, rel);
        try {
            // Named, not "unix:*": the star also resolves owner and group names (a passwd lookup per file).
            Map<String, Object> a = Files.readAttributes(p, UNIX_ATTRIBUTES, LinkOption.NOFOLLOW_LINKS);
            int rawMode = (Integer) a.get("mode");
            Type type = switch (rawMode & 0170000) {
                case 0100000 -> Type.FILE;
                case 0040000 -> Type.DIR;
                case 0120000 -> Type.SYMLINK;
                case 0020000 -> Type.CHAR;
                case 0060000 -> Type.BLOCK;
                case 0010000 -> Type.FIFO;
                default -> Type.SOCKET;
            };
            long rdev = (Long) a.get("rdev");
            int major = (int) (((rdev >>> 8) & 0xfff) | ((rdev >>> 32) & ~0xfffL));
            int minor = (int) ((rdev & 0xff) | ((rdev >>> 12) & ~0xffL));
            SortedMap<String, byte[]> xattrs = new TreeMap<>(xattrReader.read(p));
            long uid = (Integer) a.get("uid") & 0xffffffffL;
            long gid = (Integer) a.get("gid") & 0xffffffffL;
            byte[] rootless = xattrs.remove(ROOTLESS_XATTR);
            byte[] lentMode = xattrs.remove(LentAccess.MODE_XATTR);
            if (lentMode != null && type == Type.DIR) {
                rawMode = (rawMode & ~07777) | Integer.parseInt(new String(lentMode, StandardCharsets.US_ASCII), 8);
            }
            restoreKept(xattrs);
            if (rootless != null) {
                long[] owner = decodeRootless(rootless);
                uid = owner[0];
                gid = owner[1];
            } else if (CALLER.rootless()) {
                // A rootless tree's files are the caller's; no owner record means the image's root (as the
                // applier writes it and umoci reads it), also for a file the caller edited or created.
                uid = uid == CALLER.uid() ? 0 : uid;
                gid = gid == CALLER.gid() ? 0 : gid;
            }
            String target = type == Type.SYMLINK ? ByteNames.name(Files.readSymbolicLink(p)) : null;
            long size = type == Type.FILE ? (Long) a.get("size") : 0;
            boolean device = type == Type.CHAR || type == Type.BLOCK;
            return new FileInfo(rel, type, rawMode & 07777, uid, gid, size, nanos((FileTime) a.get("lastModifiedTime")),
                    device ? major : 0, device ? minor : 0, target, xattrs, (Long) a.get("dev"), (Long) a.get("ino"),
                    (Integer) a.get("nlink"), nanos((FileTime) a.get("ctime")));
        } catch (IOException e) {
            throw new FilesystemException("cannot read " + rel + ": " + e.getMessage(), e);
        }
    }

    /**
     * Gives back their own names to the xattrs a rootless pull could not set and kept as
     * {@code user.krgo.NAME} (see {@link XattrWriter}), so a commit writes what the image had.
     */
    static void restoreKept(SortedMap<String, byte[]> xattrs) {
        if (xattrs.isEmpty() || xattrs.subMap(XattrWriter.KEPT_PREFIX, XattrWriter.KEPT_PREFIX + Character.MAX_VALUE).isEmpty()) {
            return;
        }
        for (String n : List.copyOf(xattrs.keySet())) {
            if (n.startsWith(XattrWriter.KEPT_PREFIX)) {
                byte[] v = xattrs.remove(n);
                xattrs.putIfAbsent(n.substring(XattrWriter.KEPT_PREFIX.length()), v);
            }
        }
    }

    /** Decodes {uid, gid} from the protobuf in {@value #ROOTLESS_XATTR}; missing fields are 0 (proto3). */
    public static long[] decodeRootless(byte[] b) {
        long[] out = new long[2];
        int i = 0;
        while (i < b.length) {
            long key = 0;
            int shift = 0;
            while (true) {
                int x = b[i++] & 0xff;
                key |= (long) (x & 0x7f) << shift;
                shift += 7;
                if (x < 0x80) {
                    break;
                }
            }
            if ((key & 7) != 0) {
                throw new FilesystemException("malformed " + ROOTLESS_XATTR + " xattr");
            }
            long v = 0;
            shift = 0;
            while (true) {
                int x = b[i++] & 0xff;
                v |= (long) (x & 0x7f) << shift;
                shift += 7;
                if (x < 0x80) {
                    break;
                }
            }
            int field = (int) (key >>> 3);
            if (field == 1 || field == 2) {
                out[field - 1] = v & 0xffffffffL;
            }
        }
        return out;
    }

    /** Encodes {uid, gid} as umoci does (zero fields omitted). */
    public static byte[] encodeRootless(long uid, long gid) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        long[] vals = {uid, gid};
        for (int f = 0; f < 2; f++) {
            if (vals[f] != 0) {
                out.write((f + 1) << 3);
                long v = vals[f];
                while (v >= 0x80) {
                    out.write((int) (v & 0x7f) | 0x80);
                    v >>>= 7;
                }
                out.write((int) v);
            }
        }
        return out.toByteArray();
    }

    private static long nanos(FileTime t) {
        java.time.Instant i = t.toInstant();
        return i.getEpochSecond() * 1_000_000_000L + i.getNano();
    }

    /** True when what a layer tar records about the two (type, mode, owner, mtime, device, target, xattrs) is equal. */
    public boolean sameMetadata(FileInfo o) {
        return type == o.type && mode == o.mode && uid == o.uid && gid == o.gid && mtime == o.mtime
                && devMajor == o.devMajor && devMinor == o.devMinor && Objects.equals(linkTarget, o.linkTarget)
                && sameXattrs(xattrs, o.xattrs);
    }

    /** Metadata equality ignoring mtime (directories' mtimes change whenever a child does). */
    public boolean sameMetadataExceptMtime(FileInfo o) {
        return type == o.type && mode == o.mode && uid == o.uid && gid == o.gid
                && devMajor == o.devMajor && devMinor == o.devMinor && Objects.equals(linkTarget, o.linkTarget)
                && sameXattrs(xattrs, o.xattrs);
    }

    /** Same inode, size, mtime and ctime: the content is taken as unchanged without reading it. */
    public boolean sameStat(FileInfo o) {
        return type == o.type && size == o.size && mtime == o.mtime && ctime == o.ctime && ino == o.ino && dev == o.dev;
    }

    public static boolean sameXattrs(SortedMap<String, byte[]> a, SortedMap<String, byte[]> b) {
        if (!a.keySet().equals(b.keySet())) {
            return false;
        }
        for (Map.Entry<String, byte[]> e : a.entrySet()) {
            if (!Arrays.equals(e.getValue(), b.get(e.getKey()))) {
                return false;
            }
        }
        return true;
    }

    /** Part of a hardlink group (a non-directory with more than one name). */
    public boolean hardlinked() {
        return type != Type.DIR && nlink > 1;
    }
}
