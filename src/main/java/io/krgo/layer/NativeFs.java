package io.krgo.layer;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The few Linux calls Java has no API for: mknod and l*xattr (for security.* / trusted.* and for
 * symlinks). libc is loaded through JNA only on first use, so layers without devices or such xattrs
 * never load it.
 */
public final class NativeFs {
    public static final int S_IFIFO = 0010000;
    public static final int S_IFCHR = 0020000;
    public static final int S_IFBLK = 0060000;
    private static final int ENODATA = 61;
    private static final int AT_FDCWD = -100;
    private static final int AT_SYMLINK_NOFOLLOW = 0x100;

    private NativeFs() {
    }

    interface LibC extends Library {
        int mknod(String path, int mode, long dev) throws LastErrorException;

        int lsetxattr(String path, String name, byte[] value, long size, int flags) throws LastErrorException;

        long lgetxattr(String path, String name, byte[] value, long size) throws LastErrorException;

        long llistxattr(String path, byte[] list, long size) throws LastErrorException;

        int utimensat(int dirfd, String path, long[] times, int flags) throws LastErrorException;

        int renameat2(int olddirfd, String oldpath, int newdirfd, String newpath, int flags) throws LastErrorException;

        int setpriority(int which, int who, int prio) throws LastErrorException;

        int getpriority(int which, int who) throws LastErrorException;
    }

    /**
     * Lowers the calling thread's scheduling priority by {@code nice} (at most to 19; Linux keeps a nice value per
     * thread): for work done ahead that should use only a core nobody else needs. False when it cannot.
     */
    public static boolean lowerThisThreadPriority(int nice) {
        try {
            // PRIO_PROCESS with who 0 means the calling thread on Linux; getpriority returns the nice value itself
            int current = Holder.LIBC.getpriority(0, 0);
            Holder.LIBC.setpriority(0, 0, Math.min(19, current + nice));
            return true;
        } catch (LastErrorException | UnsatisfiedLinkError | NoClassDefFoundError e) {
            return false;
        }
    }

    private static final int RENAME_EXCHANGE = 2;

    /**
     * Swaps two existing paths in one atomic step (Linux renameat2 RENAME_EXCHANGE): there is no moment
     * when either name is missing. False when the kernel, the file system or libc cannot do it.
     */
    public static boolean exchange(Path a, Path b) throws IOException {
        try {
            Holder.LIBC.renameat2(AT_FDCWD, a.toString(), AT_FDCWD, b.toString(), RENAME_EXCHANGE);
            return true;
        } catch (LastErrorException e) {
            int errno = e.getErrorCode();
            if (errno == 22 /* EINVAL */ || errno == 38 /* ENOSYS */ || errno == 95 /* EOPNOTSUPP */) {
                return false;
            }
            throw new IOException("cannot exchange " + a + " and " + b + ": errno " + errno, e);
        } catch (UnsatisfiedLinkError | NoClassDefFoundError e) {
            return false;
        }
    }

    /** Lazy holder: the class (and libc) loads on the first native call. */
    private static final class Holder {
        static final LibC LIBC = Native.load("c", LibC.class);
    }

    /** Linux's dev_t encoding (glibc makedev). */
    public static long makedev(long major, long minor) {
        return ((major & 0xfffff000L) << 32) | ((major & 0xfffL) << 8)
                | ((minor & 0xffffff00L) << 12) | (minor & 0xffL);
    }

    public static long major(long dev) {
        return ((dev >>> 32) & 0xfffff000L) | ((dev >>> 8) & 0xfffL);
    }

    public static long minor(long dev) {
        return ((dev >>> 12) & 0xffffff00L) | (dev & 0xffL);
    }

    /** @param type one of S_IFIFO, S_IFCHR, S_IFBLK */
    public static void mknod(Path path, int type, int perm, long major, long minor) throws IOException {
        try {
            Holder.LIBC.mknod(path.toString(), type | (perm & 07777), makedev(major, minor));
        } catch (LastErrorException e) {
            throw new IOException(path + ": mknod failed (errno " + e.getErrorCode() + ")");
        }
    }

    /**
     * Sets access and modification times without following a symlink and without opening the file (the
     * JDK opens it, which blocks on a FIFO and has side effects on devices).
     */
    public static void lutimes(Path path, java.nio.file.attribute.FileTime atime, java.nio.file.attribute.FileTime mtime)
            throws IOException {
        java.time.Instant a = atime.toInstant();
        java.time.Instant m = mtime.toInstant();
        long[] times = {a.getEpochSecond(), a.getNano(), m.getEpochSecond(), m.getNano()};
        try {
            Holder.LIBC.utimensat(AT_FDCWD, path.toString(), times, AT_SYMLINK_NOFOLLOW);
        } catch (LastErrorException e) {
            throw new IOException(path + ": cannot set times (errno " + e.getErrorCode() + ")");
        }
    }

    public static void lsetxattr(Path path, String name, byte[] value) throws IOException {
        try {
            Holder.LIBC.lsetxattr(path.toString(), name, value, value.length, 0);
        } catch (LastErrorException e) {
            throw new IOException(path + ": cannot set xattr " + name + " (errno " + e.getErrorCode() + ")");
        }
    }

    /** The value, or null when the attribute is absent. */
    public static byte[] lgetxattr(Path path, String name) throws IOException {
        try {
            long size = Holder.LIBC.lgetxattr(path.toString(), name, null, 0);
            byte[] value = new byte[(int) size];
            long n = Holder.LIBC.lgetxattr(path.toString(), name, value, value.length);
            return n == value.length ? value : java.util.Arrays.copyOf(value, (int) n);
        } catch (LastErrorException e) {
            if (e.getErrorCode() == ENODATA) {
                return null;
            }
            throw new IOException(path + ": cannot read xattr " + name + " (errno " + e.getErrorCode() + ")");
        }
    }

    public static List<String> llistxattr(Path path) throws IOException {
        try {
            long size = Holder.LIBC.llistxattr(path.toString(), null, 0);
            if (size <= 0) {
                return List.of();
            }
            byte[] list = new byte[(int) size];
            long n = Holder.LIBC.llistxattr(path.toString(), list, list.length);
            List<String> names = new ArrayList<>();
            int start = 0;
            for (int i = 0; i < n; i++) {
                if (list[i] == 0) {
                    if (i > start) {
                        names.add(new String(list, start, i - start, StandardCharsets.UTF_8));
                    }
                    start = i + 1;
                }
            }
            return names;
        } catch (LastErrorException e) {
            throw new IOException(path + ": cannot list xattrs (errno " + e.getErrorCode() + ")");
        }
    }
}
