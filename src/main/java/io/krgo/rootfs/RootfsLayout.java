package io.krgo.rootfs;

import io.krgo.error.UsageException;

import java.nio.file.Path;
import java.util.UUID;

/**
 * Where a rootfs directory and krgo's metadata about it live. The metadata is kept BESIDE the rootfs,
 * never inside it, so the tree stays exactly the image's: for {@code /x/DIR} it is {@code /x/.DIR.krgo/}
 * (image.json; the git-layers repository at {@code git/}).
 */
public record RootfsLayout(Path dir) {
    public RootfsLayout {
        dir = dir.toAbsolutePath().normalize();
        if (dir.getParent() == null || dir.getFileName() == null) {
            throw new UsageException("cannot use the file system root as the target directory");
        }
    }

    public static RootfsLayout of(Path dir) {
        return new RootfsLayout(dir);
    }

    public Path parent() {
        return dir.getParent();
    }

    private String name() {
        return dir.getFileName().toString();
    }

    /** {@code DIR/../.DIR.krgo}: krgo's metadata about DIR. */
    public Path metaDir() {
        return parent().resolve("." + name() + ".krgo");
    }

    /** {@code metaDir/image.json}: what was pulled into DIR. */
    public Path imageJson() {
        return metaDir().resolve("image.json");
    }

    /** {@code metaDir/git}: the git-layers repository ({@code pull -g}). */
    public Path gitDir() {
        return metaDir().resolve("git");
    }

    /** A fresh staging directory beside DIR (same file system, so the final rename is atomic). */
    public Path newStagingDir() {
        return parent().resolve("." + name() + ".krgo-staging-" + UUID.randomUUID().toString().substring(0, 8));
    }

    /** Prefix of every staging directory of DIR (to find leftovers of a killed run). */
    public String stagingPrefix() {
        return "." + name() + ".krgo-staging-";
    }

    /** A fresh name beside DIR for moving an old tree out of the way. */
    public Path newAsideDir() {
        return parent().resolve("." + name() + ".krgo-old-" + UUID.randomUUID().toString().substring(0, 8));
    }
}
