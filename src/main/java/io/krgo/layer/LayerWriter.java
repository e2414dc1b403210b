package io.krgo.layer;

import io.krgo.compress.IsalDeflater;
import io.krgo.compress.ParallelGzipOutputStream;
import com.github.luben.zstd.ZstdOutputStream;
import io.krgo.error.UsageException;
import io.krgo.image.Compression;
import io.krgo.image.Digest;
import io.krgo.store.BlobStore;
import io.krgo.tar.ByteNames;
import io.krgo.tar.TarWriter;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Writes a change list as a deterministic layer tar, compressed, straight into the content store while
 * computing diff_id (sha256 of the tar) and digest (sha256 of the blob) in the same pass. Entries are in
 * tree order: a directory before its children; inside a directory the opaque marker, then whiteouts,
 * then the other names sorted. Hardlinks: the first name (in that order) of an inode is written as a
 * file, the others as hardlinks to it.
 */
public final class LayerWriter {
    private final BlobStore store;
    private final XattrReader xattrs;

    /**
     * @param level   compression level (gzip 1..9: 1-3 on ISA-L when it is there, else zlib; zstd 1..19)
     * @param threads compression threads
     */
    public record Options(Compression compression, int level, int threads) {
        public Options {
            if (compression == Compression.UNKNOWN) {
                throw new UsageException("choose a layer compression: gzip, zstd or none");
            }
            threads = Math.max(1, threads);
        }

        /**
         * gzip level 1 on all cores. Measured on 590 MB of binaries and docs (2 busy cores): level 1
         * 70-130 MB/s at 43.3% of the input, level 3 65-100 MB/s at 41.7%, level 6 30-47 MB/s at 39.7%
         * (the JDK's single-stream GZIPOutputStream: 24 MB/s); on the benchmark's Debian rootfs level 1 was
         * 2.5-3x faster than level 6 for a 12% larger layer (35.8% vs 32.0%). Level 6 cannot reach skopeo's
         * gzip push speed (~105 MB/s) on two cores, level 1 can: push throughput is the goal here. Levels
         * 1-3 now deflate on ISA-L when libisal2 is installed ({@link IsalDeflater}): level 1 ~500 MB/s per
         * core on a rootfs tar (Debian's /usr: 219.7 MB against zlib level 1's 217.9 MB), level 2 about as
         * fast and 0.8% smaller, level 3 ~1.5x the time for 2.3% smaller.
         */
        public static Options defaults() {
            return new Options(Compression.GZIP, 1, Math.max(1, Runtime.getRuntime().availableProcessors()));
        }

        /** {@link #defaults()} with compression {@code c}; zstd at level 3, zstd's own default. */
        public static Options of(Compression c) {
            Options defaults = defaults();
            return new Options(c, c == Compression.ZSTD ? 3 : defaults.level(), defaults.threads());
        }
    }

    /**
     * Starts loading the native libraries a layer write uses (JNA with libc for xattrs, ISA-L with its
     * self-test for gzip) on a daemon thread, so that they are ready, or nearly, when the first file is read:
     * otherwise ~45-80 ms of that come before the first block, on the thread that builds the tar.
     */
    public static void preload(Compression compression) {
        Thread t = new Thread(() -> {
            XattrReader.bind();
            if (compression == Compression.GZIP) {
                IsalDeflater.usable();
            }
        }, "krgo-native-init");
        t.setDaemon(true);
        t.start();
    }

    public LayerWriter(BlobStore store, XattrReader xattrs) {
        this.store = store;
        this.xattrs = xattrs;
    }

    public LayerBlob write(Path root, List<LayerChange> changes, Options options) throws IOException {
        return write(root, changes, options, null);
    }

    /**
     * As {@link #write(Path, List, Options)}; {@code tee} (may be null) also receives the blob's bytes as
     * they are produced, e.g. an upload that runs meanwhile. It is written from another thread and not
     * closed; when it throws it receives nothing more (it knows then that it missed bytes), and the layer is
     * still written to the store.
     */
    public LayerBlob write(Path root, List<LayerChange> changes, Options options, OutputStream tee)
            throws IOException {
        List<LayerChange> sorted = new ArrayList<>(changes);
        sorted.sort(Comparator.comparing(LayerWriter::sortKey, LayerWriter::compareKeys));
        Path tmp = store.newTempFile(null);
        MessageDigest tarHash = Digest.newSha256();
        ExecutorService pool = options.compression() == Compression.GZIP
                ? Executors.newFixedThreadPool(options.threads(), r -> {
                    Thread t = new Thread(r, "krgo-gzip");
                    t.setDaemon(true);
                    return t;
                }) : null;
        try {
            LayerOutput output = new LayerOutput(tmp, tee);
            OutputStream compressed = switch (options.compression()) {
                case GZIP -> new ParallelGzipOutputStream(output, pool, options.threads(), options.level(),
                        ParallelGzipOutputStream.DEFAULT_BLOCK);
                case ZSTD -> {
                    ZstdOutputStream z = new ZstdOutputStream(output, options.level());
                    if (options.threads() > 1) {
                        z.setWorkers(options.threads());
                    }
                    yield z;
                }
                default -> output;
            };
            try (TarWriter tar = new TarWriter(new BufferedOutputStream(new DigestOutputStream(compressed, tarHash),
                    1 << 16))) {
                writeEntries(root, sorted, tar);
            } finally {
                output.close(); // also when the tar failed: stops the writer thread
            }
            Digest digest = output.digest();
            Digest diffId = new Digest("sha256", HexFormat.of().formatHex(tarHash.digest()));
            store.commit(tmp, digest);
            return new LayerBlob(digest, output.size(), diffId, options.compression());
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        } finally {
            if (pool != null) {
                pool.shutdownNow();
            }
        }
    }

    private void writeEntries(Path root, List<LayerChange> sorted, TarWriter tar) throws IOException {
        Map<String, String> firstNameOfInode = new HashMap<>();
        for (LayerChange c : sorted) {
            if (c instanceof LayerChange.Whiteout w) {
                tar.writeHeader(marker(parentPrefix(w.path()) + ".wh." + name(w.path())));
                continue;
            }
            if (c instanceof LayerChange.Opaque o) {
                tar.writeHeader(marker(o.path() + "/.wh..wh..opq"));
                continue;
            }
            {
                    FileInfo f = FileInfo.read(root, c.path(), xattrs);
                    if (f.type() == FileInfo.Type.SOCKET) {
                        continue; // a tar cannot hold a socket; runtimes recreate them
                    }
                    if (f.hardlinked()) {
                        String key = f.dev() + ":" + f.ino();
                        String first = firstNameOfInode.putIfAbsent(key, f.path());
                        if (first != null) {
                            tar.writeHeader(header(f, TarWriter.LINK, 0, first));
                            continue;
                        }
                    }
                    switch (f.type()) {
                        case FILE -> {
                            tar.writeHeader(header(f, TarWriter.REG, f.size(), null));
                            try (InputStream in = OwnerRead.open(ByteNames.resolve(root, f.path()))) {
                                tar.writeContent(in, f.size());
                            }
                        }
                        case DIR -> tar.writeHeader(header(f, TarWriter.DIR, 0, null));
                        case SYMLINK -> tar.writeHeader(header(f, TarWriter.SYMLINK, 0, f.linkTarget()));
                        case CHAR -> tar.writeHeader(header(f, TarWriter.CHAR, 0, null));
                        case BLOCK -> tar.writeHeader(header(f, TarWriter.BLOCK, 0, null));
                        case FIFO -> tar.writeHeader(header(f, TarWriter.FIFO, 0, null));
                        default -> throw new IllegalStateException("unreachable");
                    }
            }
        }
    }

    private static TarWriter.Header header(FileInfo f, byte type, long size, String link) {
        return new TarWriter.Header(f.path(), type, f.mode(), f.uid(), f.gid(), size, f.mtime(), link,
                f.devMajor(), f.devMinor(), f.xattrs());
    }

    private static TarWriter.Header marker(String path) {
        return new TarWriter.Header(path, TarWriter.REG, 0, 0, 0, 0, 0, null, 0, 0, Map.of());
    }

    private static String parentPrefix(String path) {
        int slash = path.lastIndexOf('/');
        return slash < 0 ? "" : path.substring(0, slash + 1);
    }

    private static String name(String path) {
        return path.substring(path.lastIndexOf('/') + 1);
    }

    /** Path components; the last is ranked 0 (opaque marker), 1 (whiteout) or 2 (entry). */
    private static List<Object[]> sortKey(LayerChange c) {
        String[] parts = c.path().split("/", -1);
        List<Object[]> key = new ArrayList<>();
        for (int i = 0; i < parts.length; i++) {
            int rank = i < parts.length - 1 || c instanceof LayerChange.Add ? 2 : 1;
            key.add(new Object[]{rank, parts[i]});
        }
        if (c instanceof LayerChange.Opaque) {
            key.set(key.size() - 1, new Object[]{2, parts[parts.length - 1]});
            key.add(new Object[]{0, ""});
        }
        return key;
    }

    private static int compareKeys(List<Object[]> a, List<Object[]> b) {
        for (int i = 0; i < Math.min(a.size(), b.size()); i++) {
            int r = Integer.compare((Integer) a.get(i)[0], (Integer) b.get(i)[0]);
            if (r != 0) {
                return r;
            }
            r = ((String) a.get(i)[1]).compareTo((String) b.get(i)[1]);
            if (r != 0) {
                return r;
            }
        }
        return Integer.compare(a.size(), b.size());
    }
}
