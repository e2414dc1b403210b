package io.krgo.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Source trees for layers made by other tools' writers, built on disk as root with the real tools
 * ({@code setcap}, {@code setfacl}, {@code setfattr}, {@code mknod}, {@code touch -d}, {@code chown}), so a
 * writer archives what the kernel holds, byte for byte.
 */
public final class ForeignTree {
    // ACLs name uid 4321 and gid 4322, which no machine names: a text ACL (bsdtar's, GNU tar's) then holds
    // numbers, not the writing host's user names.
    /** Entry names of the rich tree that tests look at (root-relative). */
    public static final String CAP_V2 = "usr/local/bin/capped";
    public static final String CAP_V3 = "usr/local/bin/capped3";
    public static final String ACL_FILE = "acl/file";
    public static final String ACL_DIR = "acl/dir";
    public static final String PLUS_XATTR_FILE = "xattr/file";
    public static final String Y2300 = "time/y2300";
    public static final String Y1901 = "time/y1901";
    public static final String BIG_OWNER = "owner/big";
    public static final String SHADOW = "etc/shadow";
    /** A relative path of exactly 4,000 bytes: 19 directories of 200 bytes and a file of 181. */
    public static final String DEEP;
    public static final String NAME_100 = "names/" + "n".repeat(100);
    public static final String NAME_255 = "names/" + "m".repeat(255);
    public static final String LONG_LINK = "links/long";
    public static final String LONG_LINK_TARGET;

    static {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 19; i++) {
            b.append(String.format("%02d", i)).append("d".repeat(198)).append('/');
        }
        b.append("f".repeat(4000 - b.length()));
        DEEP = b.toString();
        StringBuilder t = new StringBuilder("../");
        while (t.length() < 300) {
            t.append("t");
        }
        LONG_LINK_TARGET = t.toString();
    }

    private ForeignTree() {
    }

    /**
     * The rich tree: file capabilities v2 (high bytes) and v3 with a rootid, an access ACL on a file and a
     * default ACL on a directory, {@code user.*} xattrs (one named {@code user.a+b}, one binary), a
     * hardlink pair, a fifo, a char device, files dated 2300 and 1901, owner 3,000,000, names of 100, 255
     * and 4,000 bytes, a 300-byte symlink target, {@code etc/shadow} of mode 0000 and a 0555 directory with
     * entries below it. Returns {@code root}.
     */
    public static Path rich(Path root) {
        Tools.require("setcap", "libcap2-bin");
        Tools.require("setfacl", "acl");
        Tools.require("setfattr", "attr");
        mkdirs(root.resolve(DEEP).getParent());
        try {
            Files.writeString(root.resolve(DEEP), "deep\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String script = """
                set -eu
                mkdir -p "$1"; cd "$1"
                mkdir -p etc/ro/sub usr/local/bin acl/dir xattr data dev time owner names links
                printf 'root:*:19000:0:99999:7:::\\n' > etc/shadow; chmod 0000 etc/shadow
                echo a > etc/ro/a; echo b > etc/ro/sub/b; chmod 0555 etc/ro/sub etc/ro
                printf '#!/bin/sh\\necho capped\\n' > usr/local/bin/capped; chmod 0755 usr/local/bin/capped
                setcap cap_setuid,cap_setgid,cap_net_bind_service+ep usr/local/bin/capped
                printf '#!/bin/sh\\necho capped3\\n' > usr/local/bin/capped3; chmod 0755 usr/local/bin/capped3
                setcap -n 1000 cap_net_bind_service+ep usr/local/bin/capped3
                echo acl > acl/file; chmod 0640 acl/file; setfacl -m u:4321:r-x,g:4322:r-- acl/file
                chmod 0750 acl/dir; setfacl -d -m u:4321:rwx,g:4322:r-x acl/dir
                echo x > xattr/file; setfattr -n user.a+b -v plus xattr/file
                setfattr -n user.bin -v 0x80ff00fe01 xattr/file
                echo shared > data/a; ln data/a data/a-link; echo lower > data/gone; echo kept > data/kept
                mkdir data/opaque; echo old > data/opaque/old
                mkfifo dev/fifo; mknod dev/null c 1 3; chmod 0666 dev/null
                echo future > time/y2300; touch -d '2300-01-01 00:00:00.123456789 UTC' time/y2300
                echo past > time/y1901; touch -d '1901-12-14 00:00:00 UTC' time/y1901
                echo big > owner/big; chown 3000000:3000000 owner/big
                echo 100 > "$2"; echo 255 > "$3"
                ln -s "$4" links/long
                """;
        Tools.run("bash", "-c", script, "rich", root.toString(), NAME_100, NAME_255, LONG_LINK_TARGET);
        return root;
    }

    /**
     * A small tree of what carries binary xattrs: {@link #CAP_V2}, {@link #CAP_V3}, {@link #ACL_FILE} (access
     * ACL), {@link #ACL_DIR} (default ACL), {@link #PLUS_XATTR_FILE} ({@code user.a+b} and a binary
     * {@code user.bin}) and {@link #SHADOW} of mode 0000. Returns {@code root}.
     */
    public static Path capsAndAcls(Path root) {
        Tools.require("setcap", "libcap2-bin");
        Tools.require("setfacl", "acl");
        Tools.require("setfattr", "attr");
        String script = """
                set -eu
                mkdir -p "$1"; cd "$1"
                mkdir -p etc usr/local/bin acl/dir xattr
                printf 'root:*:19000:0:99999:7:::\\n' > etc/shadow; chmod 0000 etc/shadow
                printf '#!/bin/sh\\necho capped\\n' > usr/local/bin/capped; chmod 0755 usr/local/bin/capped
                setcap cap_setuid,cap_setgid,cap_net_bind_service+ep usr/local/bin/capped
                printf '#!/bin/sh\\necho capped3\\n' > usr/local/bin/capped3; chmod 0755 usr/local/bin/capped3
                setcap -n 1000 cap_net_bind_service+ep usr/local/bin/capped3
                echo acl > acl/file; chmod 0640 acl/file; setfacl -m u:4321:r-x,g:4322:r-- acl/file
                chmod 0750 acl/dir; setfacl -d -m u:4321:rwx,g:4322:r-x acl/dir
                echo x > xattr/file; setfattr -n user.a+b -v plus xattr/file
                setfattr -n user.bin -v 0x80ff00fe01 xattr/file
                """;
        Tools.run("bash", "-c", script, "caps", root.toString());
        return root;
    }

    /**
     * An upper layer's tree for the rich tree: whiteout files {@code data/.wh.gone} and an opaque marker in
     * {@code data/opaque}, as a writer archives them from disk (empty regular files with those names).
     */
    public static Path whiteouts(Path root) {
        String script = """
                set -eu
                mkdir -p "$1"; cd "$1"
                mkdir -p data/opaque
                : > data/.wh.gone; : > data/opaque/.wh..wh..opq; echo new > data/opaque/new
                echo upper > data/kept
                """;
        Tools.run("bash", "-c", script, "upper", root.toString());
        return root;
    }

    /**
     * A file of {@code apparentGiB} GiB apparent size with a few data blocks (at 0, 1 GiB + 5 and at its
     * last byte), the rest holes.
     */
    public static Path sparse(Path file, int apparentGiB) {
        mkdirs(file.getParent());
        String script = """
                set -eu
                truncate -s "$2"G "$1"
                printf 'head of the sparse file' | dd of="$1" conv=notrunc status=none
                printf 'one GiB in' | dd of="$1" bs=1 seek=$((1024*1024*1024+5)) conv=notrunc status=none
                printf 'E' | dd of="$1" bs=1 seek=$(($2*1024*1024*1024-1)) conv=notrunc status=none
                """;
        Tools.run("bash", "-c", script, "sparse", file.toString(), Integer.toString(apparentGiB));
        return file;
    }

    /** Allocated 512-byte blocks of {@code file} ({@code stat -c %b}). */
    public static long blocks(Path file) {
        return Long.parseLong(Tools.run(List.of("stat", "-c", "%b", file.toString())).trim());
    }

    private static void mkdirs(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
