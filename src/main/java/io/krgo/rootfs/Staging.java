package io.krgo.rootfs;

import io.krgo.error.FilesystemException;
import io.krgo.sys.NativeFs;
import io.krgo.sys.Trees;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A pull's staging directory beside DIR ({@code rootfs/} and {@code meta/} inside), and the renames that put
 * them in place: DIR and its metadata change only by those. Until {@link #close()} a shutdown hook (SIGTERM,
 * SIGINT) first stops the pull's writing (an interrupt of the pulling thread, which waits for its threads in
 * its finally), then removes the staging directory. Deleting under a running applier left files behind, and
 * the applier reported the vanishing paths as errors.
 */
final class Staging implements AutoCloseable {
    /** How long the shutdown hook waits for the pull to stop writing before it deletes the staging directory. */
    private static final int STOP_WAIT_SECONDS = 10;

    private final Path dir;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final AtomicBoolean shuttingDown = new AtomicBoolean();
    private final Thread cleanup;

    /** A fresh staging directory for {@code layout}'s DIR; the calling thread is the one a signal interrupts. */
    Staging(RootfsLayout layout) {
        this.dir = layout.newStagingDir();
        Thread puller = Thread.currentThread();
        cleanup = new Thread(() -> {
            shuttingDown.set(true);
            puller.interrupt();
            try {
                stopped.await(STOP_WAIT_SECONDS, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            removeStaging(dir);
        }, "krgo-staging-cleanup");
        Runtime.getRuntime().addShutdownHook(cleanup);
    }

    Path dir() {
        return dir;
    }

    /** The tree being written. */
    Path rootfs() {
        return dir.resolve("rootfs");
    }

    /** The metadata being written ({@link RootfsMetadata} of it). */
    Path meta() {
        return dir.resolve("meta");
    }

    /** What to throw for {@code cause}: when a signal stopped the pull, that is the story, not what failed then. */
    RuntimeException failure(Path target, Exception cause) {
        if (shuttingDown.get()) {
            return new FilesystemException("pull into " + target + " interrupted; " + target + " is unchanged",
                    cause);
        }
        if (cause instanceof RuntimeException r) {
            return r;
        }
        return new FilesystemException("cannot write " + target + ": " + cause.getMessage(), cause);
    }

    /** Puts the staged tree at DIR and the staged metadata beside it. */
    void install(RootfsLayout layout) throws IOException {
        moveIntoPlace(rootfs(), layout.dir());
        replaceMeta(layout, meta());
    }

    /** Deletes the staging directory (after the pull's threads stopped) and removes the shutdown hook. */
    @Override
    public void close() {
        Trees.deleteQuietly(dir);
        stopped.countDown();
        try {
            Runtime.getRuntime().removeShutdownHook(cleanup);
        } catch (IllegalStateException alreadyShuttingDown) {
            // the hook is running or will run: it deletes the same directory
        }
    }

    /**
     * Removes the staging directory from a shutdown hook, after the pull stopped or the wait for it ran out:
     * then a thread that did not stop may still add files, so a failed pass is retried.
     */
    private static void removeStaging(Path staging) {
        for (int attempt = 0; attempt < 20 && Files.exists(staging, LinkOption.NOFOLLOW_LINKS); attempt++) {
            Trees.deleteQuietly(staging);
            if (Files.exists(staging, LinkOption.NOFOLLOW_LINKS)) {
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    /** DIR absent or empty: one rename (it replaces an empty directory). Otherwise old aside, new in, old deleted. */
    private static void moveIntoPlace(Path staged, Path target) throws IOException {
        if (RootfsLayout.of(target).dirIsEmptyOrAbsent()) {
            Files.move(staged, target, StandardCopyOption.ATOMIC_MOVE);
            return;
        }
        replace(staged, target, RootfsLayout.of(target).newAsideDir());
    }

    /**
     * Puts {@code staged} at {@code target}, which exists: one atomic exchange where Linux can (no instant
     * without a target, even if the process is killed), else old aside, new in, old deleted. Either way the
     * old tree ends up at {@code staged} or {@code aside} and is deleted.
     */
    private static void replace(Path staged, Path target, Path aside) throws IOException {
        if (NativeFs.exchange(staged, target)) {
            Trees.deleteQuietly(staged);
            return;
        }
        Files.move(target, aside, StandardCopyOption.ATOMIC_MOVE);
        try {
            Files.move(staged, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | RuntimeException e) {
            Files.move(aside, target, StandardCopyOption.ATOMIC_MOVE);
            throw e;
        }
        Trees.deleteQuietly(aside);
    }

    private static void replaceMeta(RootfsLayout layout, Path stagedMeta) throws IOException {
        Path metaDir = layout.metaDir();
        if (!Files.exists(metaDir, LinkOption.NOFOLLOW_LINKS)) {
            Files.move(stagedMeta, metaDir, StandardCopyOption.ATOMIC_MOVE);
            return;
        }
        replace(stagedMeta, metaDir, layout.parent().resolve(metaDir.getFileName() + "-old-"
                + UUID.randomUUID().toString().substring(0, 8)));
    }
}
