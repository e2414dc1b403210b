package io.krgo.rootfs;

import io.krgo.error.FilesystemException;
import io.krgo.error.UsageException;
import io.krgo.store.OwnerProcess;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.util.ArrayList;
import java.util.List;

import java.nio.file.Path;
import java.util.UUID;

/**
 * Where a rootfs directory and krgo's metadata about it live. The metadata is kept BESIDE the rootfs,
 * never inside it, so the tree stays exactly the image's: for {@code /x/DIR} it is {@code /x/.DIR.krgo/},
 * whose files {@link RootfsMetadata} owns.
 */
public record RootfsLayout(Path dir) {
    /** The record of what was pulled, in {@link #metaDir()}. */
    public static final String IMAGE_JSON = RootfsMetadata.IMAGE_JSON;
    /** The image config's bytes as pulled (or committed), in {@link #metaDir()}. */
    public static final String CONFIG_JSON = RootfsMetadata.CONFIG_JSON;

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

    /** What krgo records in {@link #metaDir()}: its files, read and written. */
    public RootfsMetadata metadata() {
        return new RootfsMetadata(metaDir());
    }

    /** {@code metaDir/image.json}: what was pulled into DIR (see {@link RootfsMetadata#imageJson()}). */
    public Path imageJson() {
        return metadata().imageJson();
    }

    /** {@code metaDir/config.json}: the image config's bytes (see {@link RootfsMetadata#configJson()}). */
    public Path configJson() {
        return metadata().configJson();
    }

    /** {@code metaDir/git}: the git-layers repository ({@code pull -g}). */
    public Path gitDir() {
        return metadata().gitDir();
    }

    /** Whether DIR is absent, not a directory, or an empty directory: nothing a pull would replace. */
    public boolean dirIsEmptyOrAbsent() {
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            return true;
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            return !ds.iterator().hasNext();
        } catch (IOException e) {
            throw new FilesystemException("cannot read " + dir + ": " + e.getMessage(), e);
        }
    }

    /** Whether DIR was pulled with git layers (see {@link RootfsMetadata#hasGitLayers()}). */
    public boolean hasGitLayers() {
        return metadata().hasGitLayers();
    }

    /**
     * A fresh staging directory beside DIR (same file system, so the final rename is atomic), named
     * {@code .DIR.krgo-staging-PID-RANDOM} so a later pull can tell whether its owner still runs.
     */
    public Path newStagingDir() {
        return parent().resolve(stagingPrefix() + OwnerProcess.currentPid() + "-"
                + UUID.randomUUID().toString().substring(0, 8));
    }

    /**
     * Staging directories of DIR left by a pull that was killed before it could clean up (SIGKILL, power
     * loss): those whose owning process no longer exists. A live owner's are never listed; neither are
     * names without a pid, which this code did not make. A process with that pid which started (over a minute)
     * after the directory was last modified is a later process that reused the pid: the owner is gone.
     */
    public List<Path> abandonedStagingDirs() {
        List<Path> found = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(parent(), stagingPrefix() + "*")) {
            for (Path p : ds) {
                String rest = p.getFileName().toString().substring(stagingPrefix().length());
                int dash = rest.indexOf('-');
                if (dash <= 0) {
                    continue;
                }
                long pid;
                try {
                    pid = Long.parseLong(rest.substring(0, dash));
                } catch (NumberFormatException notOurs) {
                    continue;
                }
                if (OwnerProcess.isGone(pid, p)) {
                    found.add(p);
                }
            }
        } catch (NoSuchFileException | NotDirectoryException noParent) {
            return List.of();
        } catch (IOException e) {
            throw new FilesystemException("cannot list " + parent() + ": " + e.getMessage(), e);
        }
        return found;
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
