package io.krgo.layer;

import io.krgo.sys.NativeFs;
import io.krgo.tar.ByteNames;
import io.krgo.tar.TarEntry;
import io.krgo.tar.TarTime;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Map;
import java.util.TreeMap;

/**
 * Gives a written entry the image's metadata in the order Linux needs: owner (chown clears setuid/setgid
 * and file capabilities) → mode → xattrs → times, to the nanosecond. Rootless, the files are the caller's:
 * the image's owner goes to {@code user.rootlesscontainers} (umoci's convention), and the owner lends
 * itself write permission while it sets xattrs on a file whose mode denies it. Directory modes and times
 * are kept until {@link #finish}, since writing into a directory changes its mtime and a rootless pull
 * must be able to write below a directory of mode 0555 or 0000 in a later entry or layer.
 */
final class EntryMetadata {
    private static final long NOOP_ID = 0xffffffffL;

    private final Path root;
    private final boolean privileged;
    private final XattrWriter xattrs;
    private final CreateModes createModes;
    /** Directory metadata to apply at the end, by root-relative path; the last declaration wins. */
    private final TreeMap<String, DirMeta> dirMeta = new TreeMap<>();

    private record DirMeta(int mode, TarTime mtime, TarTime atime) {
    }

    EntryMetadata(Path root, boolean privileged, CreateModes createModes, XattrWriter xattrs) {
        this.root = root;
        this.privileged = privileged;
        this.createModes = createModes;
        this.xattrs = xattrs;
    }

    XattrWriter xattrs() {
        return xattrs;
    }

    /** Owner, xattrs and times of a regular file just created (by us, with O_EXCL) with its final mode. */
    void ofNewFile(Path p, TarEntry e, String name) throws IOException {
        owner(p, e, true, false);
        if (!e.xattrs().isEmpty() || e.aclAccess() != null) {
            applyXattrs(p, e, name, false, true);
        }
        NativeFs.setTimes(p, atime(e), e.mtime());
    }

    /** All metadata of an entry written (or declared again) at {@code p}; directories' mode and times wait. */
    void apply(Path p, String rel, TarEntry e, String name, boolean created) throws IOException {
        boolean symlink = e.kind() == TarEntry.Kind.SYMLINK;
        boolean dir = e.kind() == TarEntry.Kind.DIRECTORY;
        int mode = e.mode() & 07777;
        owner(p, e, created, symlink);
        if (!symlink) {
            // Rootless: the owner needs write permission to set user.* xattrs, and directories stay
            // writable until finish(); the image's mode comes after the xattrs.
            int now = privileged ? mode : dir ? mode | 0700 : mode | 0200;
            Files.setAttribute(p, "unix:mode", now); // chmod by path: never opens the file (FIFOs, mode 0000)
            applyXattrs(p, e, name, symlink, created);
            if (now != mode && !dir) {
                Files.setAttribute(p, "unix:mode", mode);
            }
        } else {
            applyXattrs(p, e, name, true, created);
        }
        if (dir) {
            dirMeta.put(rel, new DirMeta(mode, e.mtime(), atime(e)));
        } else {
            NativeFs.setTimes(p, atime(e), e.mtime()); // never opens the file: safe on FIFOs and devices
        }
    }

    private void applyXattrs(Path p, TarEntry e, String name, boolean symlink, boolean created) throws IOException {
        if (xattrs.apply(p, e, name, symlink, created)) {
            createModes.disable();
        }
    }

    private void owner(Path p, TarEntry e, boolean created, boolean symlink) throws IOException {
        int uid = (int) e.uid();
        int gid = (int) e.gid();
        if (privileged) {
            if (!created || uid != 0 || gid != 0) {
                try {
                    Files.setAttribute(p, "unix:uid", uid, LinkOption.NOFOLLOW_LINKS);
                    Files.setAttribute(p, "unix:gid", gid, LinkOption.NOFOLLOW_LINKS);
                } catch (java.nio.file.FileSystemException refused) {
                    // EINVAL: root of a user namespace (rootless krgo run) that does not map this id
                    String unmapped = NamespaceIds.unmapped(uid, gid);
                    if (unmapped != null) {
                        throw new IOException(unmapped + " (owner of " + p + ")", refused);
                    }
                    throw refused;
                }
            }
            return;
        }
        if (symlink) {
            return; // no user.* xattrs on symlinks
        }
        // Rootless: umoci's convention keeps the image's owner in the user.rootlesscontainers xattr, a
        // protobuf message {uint32 uid = 1; uint32 gid = 2;}, so a later commit/push can restore it.
        // Absent means 0:0. Setting it needs write permission: a file of mode 0000 is made u+w first.
        if (uid != 0 || gid != 0) {
            ensureOwnerWritable(p);
            int errno = NativeFs.lsetxattrErrno(p, FileInfo.ROOTLESS_XATTR, rootlessOwner(uid, gid));
            if (errno != 0) {
                throw new IOException(p + ": cannot record the owner in " + FileInfo.ROOTLESS_XATTR + " ("
                        + NativeFs.strerror(errno) + ")");
            }
        } else if (!created) {
            ensureOwnerWritable(p);
            NativeFs.lremovexattr(p, FileInfo.ROOTLESS_XATTR);
        }
    }

    /** Rootless: adds u+w when the mode lacks it (apply() sets the image's mode afterwards). */
    private static void ensureOwnerWritable(Path p) throws IOException {
        int mode = (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS);
        if ((mode & 0200) == 0) {
            Files.setAttribute(p, "unix:mode", (mode & 07777) | 0200);
        }
    }

    private static TarTime atime(TarEntry e) {
        return e.atime() != null ? e.atime() : e.mtime();
    }

    /** Forgets the directory metadata of {@code rel} and its subtree (removed or replaced). */
    void forgetDirs(String rel) {
        dirMeta.remove(rel);
        dirMeta.subMap(rel + "/", rel + "0").clear(); // '0' follows '/' in ASCII: exactly the subtree
    }

    /** Sets directory modes and times, deepest first; once after the last layer. */
    void finish() throws IOException {
        for (Map.Entry<String, DirMeta> e : dirMeta.descendingMap().entrySet()) {
            Path p = ByteNames.resolve(root, e.getKey());
            BasicFileAttributes a;
            try {
                a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            } catch (NoSuchFileException gone) {
                continue;
            }
            if (!a.isDirectory()) {
                continue;
            }
            DirMeta m = e.getValue();
            if (!privileged) {
                Files.setAttribute(p, "unix:mode", m.mode());
            }
            NativeFs.setTimes(p, m.atime(), m.mtime());
        }
        dirMeta.clear();
    }

    /**
     * Encodes {uint32 uid = 1; uint32 gid = 2;} as protobuf, the rootlesscontainers.io message. Like
     * umoci, an id of 0 is written as NoopID (0xFFFFFFFF, "leave as is": the caller maps to container
     * root); 0:0 has no message at all.
     */
    static byte[] rootlessOwner(int uid, int gid) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        if (uid == 0 && gid == 0) {
            return out.toByteArray();
        }
        out.write(0x08);
        varint(out, uid == 0 ? NOOP_ID : uid & 0xffffffffL);
        out.write(0x10);
        varint(out, gid == 0 ? NOOP_ID : gid & 0xffffffffL);
        return out.toByteArray();
    }

    private static void varint(ByteArrayOutputStream out, long v) {
        while ((v & ~0x7fL) != 0) {
            out.write((int) ((v & 0x7f) | 0x80));
            v >>>= 7;
        }
        out.write((int) v);
    }
}
