package io.krgo.layer;

import io.krgo.sys.NativeFs;
import io.krgo.error.FilesystemException;
import io.krgo.error.UnsafeImageException;
import io.krgo.tar.AclText;
import io.krgo.tar.TarEntry;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Sets an entry's extended attributes, byte for byte, deciding per namespace what the process may set:
 * {@code user.*} always (never on symlinks, where Linux has none); {@code security.*}, {@code trusted.*}
 * and other {@code system.*} as root; POSIX ACLs also rootless (a file's owner may set them). What a
 * rootless pull cannot set is kept as {@code user.krgo.NAME} on the file, as its owner is kept in
 * {@code user.rootlesscontainers}, so commit and push restore it ({@link FileInfo} maps it back). bsdtar's
 * text ACLs ({@code SCHILY.acl.*}) become the kernel's binary ACL xattrs. Refusals by the kernel are
 * classified: a value the kernel rejects as malformed is an unsafe image (exit 7), a file system that
 * cannot hold it a local problem (exit 6).
 */
final class XattrWriter {
    /** Where a rootless pull keeps an xattr it may not set: {@code user.krgo.security.capability}. */
    static final String KEPT_PREFIX = "user.krgo.";
    static final String ACL_ACCESS = "system.posix_acl_access";
    static final String ACL_DEFAULT = "system.posix_acl_default";
    private static final int EPERM = 1;
    private static final int EACCES = 13;
    private static final int E2BIG = 7;
    private static final int EINVAL = 22;
    private static final int ERANGE = 34;
    private static final int ENOTSUP = 95;

    private final boolean privileged;
    private final ImageIds ids;
    /** Set ones a rootless pull could not set (or keep, on symlinks). */
    private long skipped;
    /** Of those, the ones kept as {@code user.krgo.*}. */
    private long kept;
    /** Text ACLs not set: they name users or groups the image does not have. */
    private long aclsUnresolved;

    XattrWriter(boolean privileged, ImageIds ids) {
        this.privileged = privileged;
        this.ids = ids;
    }

    long skipped() {
        return skipped;
    }

    long kept() {
        return kept;
    }

    long aclsUnresolved() {
        return aclsUnresolved;
    }

    /**
     * Sets every xattr of {@code e} on {@code p}; for an entry declared again over an existing file
     * ({@code created} false), first removes the user-visible ones it no longer carries.
     *
     * @return true when a default ACL was set (new files below then get other modes than asked for)
     */
    boolean apply(Path p, TarEntry e, String name, boolean symlink, boolean created) throws IOException {
        Map<String, byte[]> xattrs = e.xattrs();
        if (!created && !symlink) {
            dropStale(p, xattrs);
        }
        boolean defaultAcl = false;
        for (Map.Entry<String, byte[]> x : xattrs.entrySet()) {
            defaultAcl |= set(p, name, x.getKey(), x.getValue(), symlink);
        }
        if (e.aclAccess() != null && !xattrs.containsKey(ACL_ACCESS)) {
            byte[] acl = textAcl(e.aclAccess(), name);
            if (acl != null) {
                set(p, name, ACL_ACCESS, acl, symlink);
            }
        }
        if (e.aclDefault() != null && !xattrs.containsKey(ACL_DEFAULT)) {
            byte[] acl = textAcl(e.aclDefault(), name);
            if (acl != null) {
                defaultAcl |= set(p, name, ACL_DEFAULT, acl, symlink);
            }
        }
        return defaultAcl;
    }

    /**
     * The binary form of a text ACL (names resolved in the image's own files), null when it is empty or
     * names a user or group the image does not have (counted: the writer's host had other names).
     */
    private byte[] textAcl(String text, String name) {
        try {
            return AclText.toXattr(text, ids.users(), ids.groups());
        } catch (AclText.UnknownName unknown) {
            aclsUnresolved++;
            return null;
        } catch (UnsafeImageException bad) {
            throw new UnsafeImageException("entry '" + SafeRoot.printable(name) + "': " + bad.getMessage(), bad);
        }
    }

    private void dropStale(Path p, Map<String, byte[]> xattrs) throws IOException {
        List<String> names = NativeFs.llistxattr(p);
        for (String n : names) {
            if (!n.startsWith("user.") || n.equals(FileInfo.ROOTLESS_XATTR)) {
                continue;
            }
            String declared = n.startsWith(KEPT_PREFIX) ? n.substring(KEPT_PREFIX.length()) : n;
            if (!xattrs.containsKey(declared)) {
                NativeFs.lremovexattr(p, n);
            }
        }
    }

    private boolean set(Path p, String entry, String xattr, byte[] value, boolean symlink) throws IOException {
        if (xattr.startsWith("user.")) {
            if (symlink || (!privileged && xattr.equals(FileInfo.ROOTLESS_XATTR))) {
                return false; // none on symlinks; rootless, the owner record is ours, made from the entry's owner
            }
            write(p, entry, xattr, value);
            return false;
        }
        boolean acl = xattr.equals(ACL_ACCESS) || xattr.equals(ACL_DEFAULT);
        if (!xattr.startsWith("security.") && !xattr.startsWith("trusted.") && !xattr.startsWith("system.")) {
            return false; // no other namespaces exist on Linux
        }
        if (privileged) {
            write(p, entry, xattr, value);
            return xattr.equals(ACL_DEFAULT);
        }
        if (acl && !symlink) {
            int errno = NativeFs.lsetxattrErrno(p, xattr, value);
            if (errno == 0) {
                return xattr.equals(ACL_DEFAULT);
            }
            if (errno != EPERM && errno != ENOTSUP) {
                throw failure(p, entry, xattr, errno);
            }
        }
        if (symlink) {
            skipped++;
            return false;
        }
        write(p, entry, KEPT_PREFIX + xattr, value);
        skipped++;
        kept++;
        return false;
    }

    private static void write(Path p, String entry, String xattr, byte[] value) {
        int errno = NativeFs.lsetxattrErrno(p, xattr, value);
        if (errno != 0) {
            throw failure(p, entry, xattr, errno);
        }
    }

    private static RuntimeException failure(Path p, String entry, String xattr, int errno) {
        String what = "entry '" + SafeRoot.printable(entry) + "': cannot set xattr " + xattr + " ("
                + NativeFs.strerror(errno) + ")";
        return switch (errno) {
            case EINVAL, ERANGE, E2BIG -> new UnsafeImageException(what + ": the kernel refuses its value as malformed");
            case ENOTSUP -> new FilesystemException(what + ": the file system under " + p.getParent()
                    + " does not support this namespace of extended attributes");
            case EPERM, EACCES -> new FilesystemException(what + ": not permitted");
            default -> new FilesystemException(what);
        };
    }
}
