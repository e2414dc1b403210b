package io.krgo.layer;

import io.krgo.sys.NativeFs;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * While open, every directory of a tree lets its owner list and enter it: a rootless tree whose image gave
 * directories mode 0000 or 0500 can then be scanned (pull -g's record, commit, push of a directory), as
 * umoci lends itself permissions. A lent directory carries its own mode in the xattr {@value #MODE_XATTR},
 * which {@link FileInfo} reports instead of the lent one (also after a crash left it lent); {@link #close()}
 * gives the modes back, deepest first (chmod leaves mtimes alone). As root nothing is denied, so nothing is
 * walked or changed.
 */
public final class LentAccess implements AutoCloseable {
    /** The image's mode of a directory while it is lent, in octal text. */
    public static final String MODE_XATTR = "user.krgo-lent.mode";
    private static final int SEARCH = 0500;

    private record Lent(Path dir, int mode) {
    }

    private final List<Lent> lent;

    private LentAccess(List<Lent> lent) {
        this.lent = lent;
    }

    /** Lends access below {@code root} when this process is not root; close to give the modes back. */
    public static LentAccess open(Path root) throws IOException {
        List<Lent> lent = new ArrayList<>();
        if (!ApplyOptions.isRoot() && Files.isDirectory(root, LinkOption.NOFOLLOW_LINKS)) {
            lend(root, lent);
        }
        return new LentAccess(lent);
    }

    private static void lend(Path dir, List<Lent> lent) throws IOException {
        int mode = (Integer) Files.getAttribute(dir, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 07777;
        byte[] earlier = (mode & 0200) != 0 ? NativeFs.lgetxattr(dir, MODE_XATTR) : null;
        if (earlier != null) {
            lent.add(new Lent(dir, Integer.parseInt(new String(earlier, StandardCharsets.US_ASCII), 8))); // left lent
        } else if ((mode & SEARCH) != SEARCH) {
            Files.setAttribute(dir, "unix:mode", mode | 0700); // fails as well when the directory is not ours
            int errno = NativeFs.lsetxattrErrno(dir, MODE_XATTR, Integer.toOctalString(mode).getBytes(StandardCharsets.US_ASCII));
            if (errno != 0) {
                Files.setAttribute(dir, "unix:mode", mode);
                throw new IOException(dir + ": cannot note its mode (" + NativeFs.strerror(errno) + ")");
            }
            lent.add(new Lent(dir, mode));
        }
        List<Path> dirs = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path child : ds) {
                if (Files.isDirectory(child, LinkOption.NOFOLLOW_LINKS)) {
                    dirs.add(child);
                }
            }
        }
        for (Path d : dirs) {
            lend(d, lent);
        }
    }

    @Override
    public void close() throws IOException {
        IOException first = null;
        for (int i = lent.size() - 1; i >= 0; i--) {
            try {
                NativeFs.lremovexattr(lent.get(i).dir(), MODE_XATTR);
                Files.setAttribute(lent.get(i).dir(), "unix:mode", lent.get(i).mode());
            } catch (IOException e) {
                first = first == null ? e : first;
            }
        }
        lent.clear();
        if (first != null) {
            throw first;
        }
    }
}
