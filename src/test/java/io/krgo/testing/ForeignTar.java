package io.krgo.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Layer tars written by other implementations: GNU tar, bsdtar (libarchive) and Python's tarfile (Debian's
 * {@code /usr/bin/python3}, through {@code tarwriters.py} beside this class). Also reads tars back with
 * Python, so what krgo writes is checked by a reader that is not krgo's.
 */
public final class ForeignTar {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Debian's, not the PATH's (see the brief): its tarfile is the reference reader here. */
    private static final Path PYTHON = Path.of("/usr/bin/python3");

    private ForeignTar() {
    }

    /** GNU tar, POSIX (pax) format with every xattr and ACLs, plus a PAX global header; archives {@code dir}'s {@code .}. */
    public static Path gnuPosix(Path dir, Path out) {
        return gnuTar(dir, out, "--format=posix", "--xattrs", "--xattrs-include=*", "--acls",
                "--pax-option=comment=a global header from GNU tar");
    }

    /** GNU tar, old GNU format: {@code L}/{@code K} long names, base-256 numbers, no xattrs. */
    public static Path gnuGnu(Path dir, Path out) {
        return gnuTar(dir, out, "--format=gnu");
    }

    /**
     * GNU tar {@code --sparse}: {@code posix-1.0}, {@code posix-0.1}, {@code posix-0.0} (PAX sparse of that
     * version) or {@code gnu} (old GNU type {@code S}).
     */
    public static Path gnuSparse(Path dir, Path out, String format) {
        return format.startsWith("posix-")
                ? gnuTar(dir, out, "--format=posix", "--sparse", "--sparse-version=" + format.substring("posix-".length()))
                : gnuTar(dir, out, "--format=" + format, "--sparse");
    }

    public static Path gnuTar(Path dir, Path out, String... options) {
        Tools.require("tar", "tar");
        List<String> cmd = new ArrayList<>(List.of("tar"));
        cmd.addAll(List.of(options));
        cmd.addAll(List.of("--numeric-owner", "-cf", out.toString(), "-C", dir.toString(), "."));
        Tools.run(cmd);
        return out;
    }

    /** GNU tar's own extraction of {@code tar} into {@code dir} (created), keeping holes, xattrs and ACLs. */
    public static Path gnuExtract(Path tar, Path dir) {
        mkdirs(dir);
        Tools.run(List.of("tar", "--numeric-owner", "--xattrs", "--xattrs-include=*", "--acls", "--sparse", "-xpf",
                tar.toString(), "-C", dir.toString()));
        return dir;
    }

    /** bsdtar, pax format with xattrs ({@code LIBARCHIVE.xattr.*}) and text ACLs ({@code SCHILY.acl.*}). */
    public static Path bsdtarPax(Path dir, Path out) {
        Tools.require("bsdtar", "libarchive-tools");
        Tools.run(List.of("bsdtar", "--format", "pax", "--xattrs", "--acls", "--numeric-owner", "-cf", out.toString(),
                "-C", dir.toString(), "."));
        return out;
    }

    /** bsdtar's own extraction (ACLs and xattrs applied as libarchive does). */
    public static Path bsdtarExtract(Path tar, Path dir) {
        Tools.require("bsdtar", "libarchive-tools");
        mkdirs(dir);
        Tools.run(List.of("bsdtar", "--xattrs", "--acls", "--numeric-owner", "-xpf", tar.toString(), "-C",
                dir.toString()));
        return dir;
    }

    /** Python's tarfile writing a layer entry by entry in {@code ustar}, {@code gnu} or {@code pax} format. */
    public static Path python(String format, Path out) {
        python("layer", format, out.toString());
        return out;
    }

    /**
     * Every member of {@code tar} (plain or gzip) as Python's tarfile reads it: {@code members.NAME.pax} maps
     * each PAX record to its value's bytes in hex; {@code global} is the PAX global header.
     */
    public static JsonNode dump(Path tar) {
        try {
            return JSON.readTree(python("dump", tar.toString()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Compares two sparse files region by region (SEEK_DATA/SEEK_HOLE): {@code sizeA/B}, {@code blocksA/B}
     * (st_blocks), {@code dataBytesA/B}, and {@code differAt}, the offsets of unequal regions.
     */
    public static JsonNode sparseCompare(Path a, Path b) {
        try {
            return JSON.readTree(python("sparsecmp", a.toString(), b.toString()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A malformed copy of the uncompressed tar {@code in} (see {@code tarwriters.py}): {@code badsum},
     * {@code cut-header}, {@code cut-body}, {@code cut-pax}, {@code pax-length-lie}, {@code pax-huge-length},
     * {@code absurd-size}, {@code negative-size}, {@code pax-header-absurd-size}, {@code pax-size-absurd}.
     */
    public static Path broken(String kind, Path in, Path out) {
        python("break", kind, in.toString(), out.toString());
        return out;
    }

    /**
     * Every path below {@code dir} by the hex of its bytes (Java's String paths cannot carry names that are
     * not UTF-8) to [type, size, content or link target in hex].
     */
    public static JsonNode names(Path dir) {
        try {
            return JSON.readTree(python("names", dir.toString()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A copy of {@code in} without its PAX global headers, for umoci 0.4.7, which refuses typeflag {@code g}. */
    public static Path withoutGlobalHeaders(Path in, Path out) {
        python("strip-global", in.toString(), out.toString());
        return out;
    }

    /** Runs {@code tarwriters.py ARGS} with Debian's python3; returns its stdout. */
    public static String python(String... args) {
        if (!Files.isExecutable(PYTHON)) {
            throw new AssertionError(PYTHON + " is required by this test but not installed: apt-get install -y python3");
        }
        List<String> cmd = new ArrayList<>(List.of(PYTHON.toString(), script().toString()));
        cmd.addAll(List.of(args));
        return Tools.run(cmd);
    }

    private static synchronized Path script() {
        try (InputStream in = ForeignTar.class.getResourceAsStream("tarwriters.py")) {
            if (in == null) {
                throw new AssertionError("tarwriters.py is missing from the test resources");
            }
            Path p = Path.of(System.getProperty("java.io.tmpdir"), "krgo-tarwriters-" + ProcessHandle.current().pid() + ".py");
            Files.write(p, in.readAllBytes());
            p.toFile().deleteOnExit();
            return p;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void mkdirs(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
