package io.krgo.sys;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import io.krgo.tar.ByteNames;
import io.krgo.tar.TarTime;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
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
        int mknod(byte[] path, int mode, long dev) throws LastErrorException;

        long lgetxattr(byte[] path, String name, byte[] value, long size) throws LastErrorException;

        long llistxattr(byte[] path, byte[] list, long size) throws LastErrorException;

        int lremovexattr(byte[] path, String name) throws LastErrorException;

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

    /**
     * libc by JNA direct mapping for the calls made once per file (times, xattrs): an interface proxy's
     * reflective dispatch costs more than the syscall. Paths are NUL-terminated bytes, so nothing is
     * re-encoded on the way.
     */
    private static final class Direct {
        static {
            Native.register(Direct.class, NativeLibrary.getInstance("c"));
        }

        static native int utimensat(int dirfd, byte[] path, long[] times, int flags);

        static native int lsetxattr(byte[] path, byte[] name, byte[] value, long size, int flags);

        static native String strerror(int errno);
    }

    /** The C string of a text (an xattr name): UTF-8, NUL-terminated. */
    public static byte[] cString(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        return Arrays.copyOf(b, b.length + 1);
    }

    /** The C string of a path: its bytes as the kernel knows them (also those that are not UTF-8), NUL-terminated. */
    public static byte[] cString(Path p) {
        byte[] b = ByteNames.bytes(p.toAbsolutePath());
        return Arrays.copyOf(b, b.length + 1);
    }

    /**
     * Sets access and modification times to the nanosecond, without following a final symlink and without
     * opening the file: any time a 64-bit time_t holds (the JDK saturates beyond 2262 and keeps only
     * microseconds when it does not follow links).
     */
    public static void setTimes(Path path, TarTime atime, TarTime mtime) throws IOException {
        long[] times = {atime.seconds(), atime.nanos(), mtime.seconds(), mtime.nanos()};
        if (Direct.utimensat(AT_FDCWD, cString(path), times, AT_SYMLINK_NOFOLLOW) != 0) {
            int errno = Native.getLastError();
            throw new IOException(path + ": cannot set times (" + strerror(errno) + ")");
        }
    }

    /** Sets an extended attribute on the path itself (not a symlink's target); 0 or the errno. */
    public static int lsetxattrErrno(Path path, String name, byte[] value) {
        if (Direct.lsetxattr(cString(path), cString(name), value, value.length, 0) == 0) {
            return 0;
        }
        return Native.getLastError();
    }

    /** The C library's text for an errno, e.g. "Operation not supported". */
    public static String strerror(int errno) {
        try {
            String s = Direct.strerror(errno);
            return s == null ? "errno " + errno : s + " (errno " + errno + ")";
        } catch (UnsatisfiedLinkError | NoClassDefFoundError e) {
            return "errno " + errno;
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
            Holder.LIBC.mknod(cString(path), type | (perm & 07777), makedev(major, minor));
        } catch (LastErrorException e) {
            throw new IOException(path + ": mknod failed (errno " + e.getErrorCode() + ")");
        }
    }

    /** The value, or null when the attribute is absent. */
    public static byte[] lgetxattr(Path path, String name) throws IOException {
        try {
            long size = Holder.LIBC.lgetxattr(cString(path), name, null, 0);
            byte[] value = new byte[(int) size];
            long n = Holder.LIBC.lgetxattr(cString(path), name, value, value.length);
            return n == value.length ? value : java.util.Arrays.copyOf(value, (int) n);
        } catch (LastErrorException e) {
            if (e.getErrorCode() == ENODATA) {
                return null;
            }
            throw new IOException(path + ": cannot read xattr " + name + " (errno " + e.getErrorCode() + ")");
        }
    }

    /** Removes an extended attribute of the path itself; absent is fine. */
    public static void lremovexattr(Path path, String name) throws IOException {
        try {
            Holder.LIBC.lremovexattr(cString(path), name);
        } catch (LastErrorException e) {
            if (e.getErrorCode() != ENODATA) {
                throw new IOException(path + ": cannot remove xattr " + name + " (" + strerror(e.getErrorCode()) + ")");
            }
        }
    }

    public static List<String> llistxattr(Path path) throws IOException {
        try {
            long size = Holder.LIBC.llistxattr(cString(path), null, 0);
            if (size <= 0) {
                return List.of();
            }
            byte[] list = new byte[(int) size];
            long n = Holder.LIBC.llistxattr(cString(path), list, list.length);
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
