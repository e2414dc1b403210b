package io.krgo.gitlayers;

import org.eclipse.jgit.lib.ObjectId;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** One pull's threads and shared state: the blob tee, the stat pool and the finishing thread (see {@link GitPull}). */
final class PullThreads {
    /** Threads that read what a layer wrote (lstat, xattrs) while the applier waits: every core is free. */
    static final int STAT_THREADS = Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors()));

    final Path packDir;
    final Path gitDir;
    /** Every object id stored so far: a blob or tree seen twice is stored once. */
    final Set<ObjectId> known = ConcurrentHashMap.newKeySet();
    final BlobTee tee;
    final ExecutorService stats = newPool(STAT_THREADS, "krgo-git-stat");
    final ExecutorService finisher = newPool(1, "krgo-git-commit");
    final ExecutorService metaWriter = newPool(1, "krgo-git-meta");
    /** Written by the finishing thread, awaited after it. */
    final List<Future<?>> metaWrites = Collections.synchronizedList(new ArrayList<>());
    final List<Future<?>> finishing = new ArrayList<>();
    private final Path dir;
    /** Opened by the finishing thread for the whole pull. */
    private LayerRepository repo;

    /** Starts creating the repository at {@code gitDir} (work tree {@code dir}) on the finishing thread. */
    PullThreads(Path gitDir, Path dir) {
        this.gitDir = gitDir;
        this.dir = dir;
        this.packDir = gitDir.resolve("objects").resolve("pack");
        // Created on the finishing thread, JGit's start-up off the pull's path and out of the blob thread's
        // way: packs are written beside the repository and moved in when complete.
        Future<?> created = finisher.submit(() -> {
            repo = LayerRepository.open(gitDir, dir, true);
            return null;
        });
        finishing.add(created);
        this.tee = new BlobTee(gitDir, packDir, known, created);
    }

    /** The repository; on the finishing thread only. */
    LayerRepository repository() throws IOException {
        if (repo == null) {
            repo = LayerRepository.open(gitDir, dir, false);
        }
        return repo;
    }

    /** Fails fast with what failed on the finishing thread, without waiting for what still runs. */
    void throwIfFailed() throws IOException {
        for (Future<?> f : finishing) {
            if (f.isDone()) {
                await(f);
            }
        }
    }

    void awaitAll() throws IOException {
        for (Future<?> f : finishing) {
            await(f);
        }
        finishing.clear();
        for (Future<?> f : List.copyOf(metaWrites)) {
            await(f);
        }
        metaWrites.clear();
    }

    void close() {
        tee.shutdown();
        stats.shutdownNow();
        finisher.submit(() -> {
            if (repo != null) {
                repo.close();
            }
        });
        finisher.shutdown();
        metaWriter.shutdown();
    }

    void abandon() {
        tee.abandon();
        stats.shutdownNow();
        finisher.shutdownNow();
        metaWriter.shutdownNow();
    }

    interface IndexedTask {
        void run(int item) throws IOException;
    }

    /** Runs {@code task} for items 0..count-1 on {@code workers} threads. */
    static void parallel(ExecutorService pool, int workers, int count, IndexedTask task) throws IOException {
        AtomicInteger next = new AtomicInteger();
        List<Future<?>> running = new ArrayList<>();
        for (int w = 0; w < Math.min(workers, count); w++) {
            running.add(pool.submit(() -> {
                for (int i = next.getAndIncrement(); i < count; i = next.getAndIncrement()) {
                    task.run(i);
                }
                return null;
            }));
        }
        for (Future<?> f : running) {
            await(f);
        }
    }

    static <T> T await(Future<T> f) throws IOException {
        return await(f, "recording git layers");
    }

    /** {@code f}'s result, its failure rethrown as it was thrown; {@code doing} names the wait when interrupted. */
    static <T> T await(Future<T> f, String doing) throws IOException {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while " + doing);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof IOException io) {
                throw io;
            }
            if (c instanceof RuntimeException re) {
                throw re;
            }
            if (c instanceof Error err) {
                throw err;
            }
            throw new IOException(c);
        }
    }

    /** Daemon threads that also end when idle: a failed pull never tells the listener, its pools just stop. */
    private static ExecutorService newPool(int threads, String name) {
        ThreadPoolExecutor pool = new ThreadPoolExecutor(threads, threads, 5, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), r -> {
                    Thread t = new Thread(r, name);
                    t.setDaemon(true);
                    return t;
                });
        pool.allowCoreThreadTimeOut(true);
        return pool;
    }
}
