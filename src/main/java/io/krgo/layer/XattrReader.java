package io.krgo.layer;

import io.krgo.sys.NativeFs;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import io.krgo.error.FilesystemException;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Collections;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Extended attributes of any namespace (user, security, trusted), read without following symlinks.
 * Java's UserDefinedFileAttributeView only sees {@code user.*} and follows links, hence libc via JNA.
 */
public final class XattrReader {
    private static final int ENODATA = 61;
    private static final int ENOTSUP = 95;
    private static final int ERANGE = 34;

    /**
     * libc bound by JNA direct mapping: called for every file a commit or a git-layers pull scans, where an
     * interface proxy's reflective dispatch cost more than the syscall (JNA keeps errno for getLastError).
     */
    private static final class LibC {
        static {
            Native.register(LibC.class, NativeLibrary.getInstance("c"));
        }

        static void bound() {
            // the static initializer above has run
        }

        static native long llistxattr(byte[] path, byte[] list, long size);

        static native long lgetxattr(byte[] path, byte[] name, byte[] value, long size);

        static native int lsetxattr(byte[] path, byte[] name, byte[] value, long size, int flags);
    }

    public XattrReader() {
    }

    /** Binds libc now (JNA's first use costs ~45 ms), e.g. on another thread before the first file is read. */
    static void bind() {
        LibC.bound();
    }

    /** All xattrs of {@code path} (not following a final symlink), sorted by name; empty when unsupported. */
    public SortedMap<String, byte[]> read(Path path) {
        byte[] p = NativeFs.cString(path);
        byte[] names = new byte[1024];
        long n;
        while (true) {
            n = LibC.llistxattr(p, names, names.length);
            if (n >= 0) {
                break;
            }
            int err = Native.getLastError();
            if (err == ERANGE) {
                names = new byte[names.length * 4];
                continue;
            }
            if (err == ENOTSUP) {
                return Collections.emptySortedMap();
            }
            throw new FilesystemException("cannot list extended attributes of " + path + " (errno " + err + ")");
        }
        SortedMap<String, byte[]> out = new TreeMap<>();
        int start = 0;
        for (int i = 0; i < n; i++) {
            if (names[i] == 0) {
                if (i > start) {
                    byte[] name = new byte[i - start + 1];
                    System.arraycopy(names, start, name, 0, i - start);
                    byte[] value = get(p, name, path);
                    if (value != null) {
                        out.put(new String(name, 0, i - start, StandardCharsets.UTF_8), value);
                    }
                }
                start = i + 1;
            }
        }
        return out;
    }

    private byte[] get(byte[] p, byte[] name, Path path) {
        byte[] buf = new byte[256];
        while (true) {
            long n = LibC.lgetxattr(p, name, buf, buf.length);
            if (n >= 0) {
                byte[] v = new byte[(int) n];
                System.arraycopy(buf, 0, v, 0, (int) n);
                return v;
            }
            int err = Native.getLastError();
            if (err == ERANGE) {
                buf = new byte[buf.length * 8];
            } else if (err == ENODATA) {
                return null; // removed between list and get
            } else {
                throw new FilesystemException("cannot read an extended attribute of " + path + " (errno " + err + ")");
            }
        }
    }

    /** Sets one xattr on {@code path} itself (not a symlink's target). */
    public void set(Path path, String name, byte[] value) {
        byte[] n = (name + "\0").getBytes(StandardCharsets.UTF_8);
        if (LibC.lsetxattr(NativeFs.cString(path), n, value, value.length, 0) != 0) {
            throw new FilesystemException("cannot set extended attribute " + name + " on " + path
                    + " (errno " + Native.getLastError() + ")");
        }
    }
}
