package io.krgo.gitlayers;

import io.krgo.layer.FileInfo;
import io.krgo.layer.XattrReader;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * A tree's full metadata as comparable text per path: type, mode, owner, size, mtime, device numbers,
 * link target, xattrs, content sha256 and hardlink group (the first path of the inode). Minimal
 * stand-in until the shared TreeSnapshot lands.
 */
final class Snapshot {
    private Snapshot() {
    }

    static Map<String, String> of(Path root) throws IOException {
        return of(root, false);
    }

    /** @param symlinkMtimeMicros compare symlink mtimes to the microsecond only (lutimes' precision) */
    static Map<String, String> of(Path root, boolean symlinkMtimeMicros) throws IOException {
        XattrReader xr = new XattrReader();
        List<FileInfo> infos = new ArrayList<>();
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.toList()) {
                if (!p.equals(root)) {
                    infos.add(FileInfo.read(root, root.relativize(p).toString(), xr));
                }
            }
        }
        infos.sort((a, b) -> a.path().compareTo(b.path()));
        Map<String, String> firstOfInode = new HashMap<>();
        Map<String, String> out = new TreeMap<>();
        for (FileInfo f : infos) {
            String group = f.hardlinked() ? firstOfInode.computeIfAbsent(f.dev() + ":" + f.ino(), k -> f.path()) : "";
            StringBuilder x = new StringBuilder();
            f.xattrs().forEach((k, v) -> x.append(k).append('=').append(HexFormat.of().formatHex(v)).append(' '));
            out.put(f.path(), f.type() + " mode=" + Integer.toOctalString(f.mode()) + " owner=" + f.uid() + ":" + f.gid()
                    + " size=" + f.size() + " mtime=" + (symlinkMtimeMicros && f.type() == FileInfo.Type.SYMLINK
                    ? f.mtime() / 1000 + "us" : f.mtime()) + " dev=" + f.devMajor() + ":" + f.devMinor()
                    + " link=" + f.linkTarget() + " xattrs=" + x + " sha256=" + sha(root, f) + " group=" + group);
        }
        return out;
    }

    /** Asserts equal snapshots, reporting only the paths that differ. */
    static void assertSame(Path actual, Path expected) throws IOException {
        assertSame(actual, expected, false);
    }

    static void assertSame(Path actual, Path expected, boolean symlinkMtimeMicros) throws IOException {
        Map<String, String> a = of(actual, symlinkMtimeMicros);
        Map<String, String> e = of(expected, symlinkMtimeMicros);
        Map<String, String> diff = new TreeMap<>();
        for (String k : new java.util.TreeSet<>(java.util.stream.Stream.concat(a.keySet().stream(), e.keySet().stream())
                .toList())) {
            if (!java.util.Objects.equals(a.get(k), e.get(k))) {
                diff.put(k, "expected " + e.get(k) + "\n   but was " + a.get(k));
            }
        }
        org.assertj.core.api.Assertions.assertThat(diff).as("paths that differ").isEmpty();
    }

    private static String sha(Path root, FileInfo f) throws IOException {
        if (f.type() != FileInfo.Type.FILE) {
            return "";
        }
        MessageDigest md = io.krgo.image.Digest.newSha256();
        try (InputStream in = Files.newInputStream(root.resolve(f.path()))) {
            byte[] buf = new byte[65536];
            int n;
            while ((n = in.read(buf)) > 0) {
                md.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }
}
