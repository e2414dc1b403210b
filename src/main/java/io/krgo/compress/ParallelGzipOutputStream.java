package io.krgo.compress;

import io.krgo.stream.BulkOutputStream;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/**
 * pigz-style gzip: the input is cut into blocks that are deflated concurrently, each primed with the
 * previous block's last 32 KiB as preset dictionary and ended with a sync flush, so the concatenation is
 * one valid deflate stream; the last block is finished. Levels 1-3 deflate on ISA-L ({@link IsalDeflater},
 * 4-8x faster than zlib) when it is usable, which stores what does not shrink by itself; otherwise and for
 * levels 4-9 on zlib, after a cheap probe that picks stored, Huffman-only or full deflate per block.
 * CRC32 and ISIZE are computed here, on the writer's thread, in input order. Output is deterministic (fixed
 * header, no name, mtime 0) and does not depend on the number of threads. At most a few blocks are in
 * flight, so memory stays bounded; their buffers and deflaters are recycled, so a layer of any size
 * allocates only a few blocks' worth (a fresh array per block kept the small heap collecting, often fully,
 * ~120 times for a 100 MB layer).
 */
public final class ParallelGzipOutputStream extends BulkOutputStream {
    public static final int DEFAULT_BLOCK = 256 * 1024;
    private static final int DICT = 32 * 1024;
    private static final int SAMPLE = 16 * 1024;
    private static final byte[] HEADER = {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 0, (byte) 0xff};

    private final OutputStream out;
    private final ExecutorService pool;
    private final int level;
    private final int blockSize;
    private final int maxInFlight;
    /** Output buffer size: stored blocks grow by 5 bytes per 64 KiB, Huffman codes by at most ~1/8. */
    private final int outputSize;
    private final ArrayDeque<Task> inFlight = new ArrayDeque<>();
    private final CRC32 crc = new CRC32();
    /** Input blocks no task reads any more (neither as input nor as the next block's dictionary). */
    private final ArrayDeque<byte[]> freeInput = new ArrayDeque<>();
    /** Output buffers written out; shared with the tasks, which take them on worker threads. */
    private final ConcurrentLinkedQueue<byte[]> freeOutput = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<Deflater> deflaters = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<IsalDeflater> isalDeflaters = new ConcurrentLinkedQueue<>();
    /**
     * Levels 1-3 deflate on ISA-L when it is there (several times faster than zlib), higher ones on zlib.
     * Whether it is there is asked by the first tasks, not here: its one-time self-test then runs on the
     * workers while the writer fills the first blocks. The answer is the same for every block (once per JVM).
     */
    private final boolean isalLevel;
    private final ConcurrentLinkedQueue<Probe> probes = new ConcurrentLinkedQueue<>();
    private byte[] block;
    private int filled;
    /** The last submitted block: the next block's dictionary, so it is recycled only after that block. */
    private byte[] previous;
    /** The input of the last drained task: free once the task after it (which reads it) is drained too. */
    private byte[] finishedInput;
    private long total;
    private boolean closed;

    /** One block's compression: its input buffer and, when done, its output. */
    private record Task(byte[] input, Future<Chunk> result) { }

    private record Chunk(byte[] buffer, int length) { }


    /**
     * @param pool      runs the deflate tasks; owned by the caller
     * @param threads   how many blocks may be compressed at once (bounds memory: ~2 blocks per thread)
     */
    public ParallelGzipOutputStream(OutputStream out, ExecutorService pool, int threads, int level, int blockSize)
            throws IOException {
        this(out, pool, threads, level, blockSize, true);
    }

    /** @param allowIsal false: zlib only (the fallback, also used when ISA-L is absent or fails its self-test) */
    ParallelGzipOutputStream(OutputStream out, ExecutorService pool, int threads, int level, int blockSize,
                             boolean allowIsal) throws IOException {
        if (blockSize < DICT) {
            throw new IllegalArgumentException("block size must be at least 32 KiB");
        }
        this.out = out;
        this.pool = pool;
        this.level = level;
        this.isalLevel = allowIsal && level >= 1 && level <= IsalDeflater.MAX_LEVEL;
        this.blockSize = blockSize;
        this.maxInFlight = Math.max(2, threads * 2);
        this.outputSize = blockSize + blockSize / 8 + 1024;
        this.block = new byte[blockSize];
        out.write(HEADER);
    }


    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        while (len > 0) {
            if (filled == blockSize) {
                submit(false);
            }
            int n = Math.min(len, blockSize - filled);
            System.arraycopy(b, off, block, filled, n);
            crc.update(b, off, n);
            filled += n;
            total += n;
            off += n;
            len -= n;
        }
    }

    private void submit(boolean last) throws IOException {
        byte[] data = block;
        int length = filled;
        byte[] dict = previous;
        inFlight.add(new Task(data, pool.submit(() -> deflate(data, length, dict, last))));
        previous = data;
        filled = 0;
        // Blocks already done go out now, not only when the pipeline is full: what follows (a pushed
        // upload) starts sooner and runs beside the compression.
        while (inFlight.size() >= maxInFlight || (!inFlight.isEmpty() && inFlight.peek().result().isDone())) {
            drainOne();
        }
        block = last ? null : freeInput.isEmpty() ? new byte[blockSize] : freeInput.poll();
    }

    private Chunk deflate(byte[] data, int length, byte[] dict, boolean last) {
        if (isalLevel && IsalDeflater.usable()) {
            // No probe: ISA-L itself stores what does not shrink, at ~1.5 GB/s, faster than the probe's
            // sampling under C1 (which cost a third of the deflate threads' time on the push benchmark).
            return isalDeflate(data, length, dict, last);
        }
        Coding coding = Coding.DEFLATE;
        if (level > 0) {
            Probe p = probes.poll();
            if (p == null) {
                p = new Probe(new int[256], new int[1 << HASH_BITS]);
            }
            coding = coding(data, length, p);
            probes.add(p);
        }
        if (coding == Coding.STORE || level == 0) {
            return stored(data, length, last);
        }
        return zlibDeflate(data, length, dict, last, coding);
    }

    private byte[] outputBuffer(int needed) {
        byte[] buf = freeOutput.poll();
        if (buf == null) {
            buf = new byte[outputSize];
        }
        return buf.length >= needed ? buf : new byte[needed];
    }

    /**
     * Stored blocks written here, a plain copy: each starts on a byte boundary (so does every block of the
     * stream), so its 3 header bits pad to one byte, then LEN and NLEN (RFC 1951, 3.2.4).
     */
    private Chunk stored(byte[] data, int length, boolean last) {
        int pieces = Math.max(1, (length + StoredBlock.MAX_LENGTH - 1) / StoredBlock.MAX_LENGTH);
        byte[] buf = outputBuffer(length + 5 * pieces);
        int n = 0;
        for (int off = 0, p = 0; p < pieces; p++) {
            int len = Math.min(StoredBlock.MAX_LENGTH, length - off);
            n = StoredBlock.header(buf, n, len, last && p == pieces - 1);
            System.arraycopy(data, off, buf, n, len);
            n += len;
            off += len;
        }
        return new Chunk(buf, n);
    }

    private Chunk isalDeflate(byte[] data, int length, byte[] dict, boolean last) {
        IsalDeflater d = isalDeflaters.poll();
        if (d == null) {
            d = new IsalDeflater(level, blockSize);
        }
        try {
            int n = d.deflate(data, length, dict, dict == null ? 0 : dict.length, last);
            byte[] buf = outputBuffer(n);
            d.copyOutput(buf, n);
            isalDeflaters.add(d);
            d = null;
            return new Chunk(buf, n);
        } finally {
            if (d != null) {
                d.close();
            }
        }
    }

    private Chunk zlibDeflate(byte[] data, int length, byte[] dict, boolean last, Coding coding) {
        Deflater d = deflaters.poll();
        if (d == null) {
            d = new Deflater(level, true);
        }
        boolean lz = coding == Coding.DEFLATE;
        d.setLevel(level);
        d.setStrategy(coding == Coding.HUFFMAN ? Deflater.HUFFMAN_ONLY : Deflater.DEFAULT_STRATEGY);
        try {
            if (dict != null && lz) {
                // Only LZ matching can use the previous block; stored and Huffman-only blocks never look back.
                d.setDictionary(dict, dict.length - DICT, DICT);
            }
            d.setInput(data, 0, length);
            byte[] buf = outputBuffer(0);
            int n = 0;
            if (last) {
                d.finish();
                while (!d.finished()) {
                    if (n == buf.length) {
                        buf = Arrays.copyOf(buf, buf.length * 2);
                    }
                    n += d.deflate(buf, n, buf.length - n);
                }
            } else {
                // SYNC_FLUSH until the deflater leaves room in the buffer: all input consumed and flushed
                // to a byte boundary, so the next block's bytes can simply follow. (A changed level or
                // strategy is applied by the first call, which may consume no input: hence also loop
                // while input is left.)
                while (true) {
                    if (n == buf.length) {
                        buf = Arrays.copyOf(buf, buf.length * 2);
                    }
                    n += d.deflate(buf, n, buf.length - n, Deflater.SYNC_FLUSH);
                    if (n < buf.length && d.needsInput()) {
                        break;
                    }
                }
            }
            d.reset();
            deflaters.add(d);
            d = null;
            return new Chunk(buf, n);
        } finally {
            if (d != null) {
                d.end();
            }
        }
    }

    /** How a block is coded. */
    enum Coding {
        /** LZ matching and Huffman coding at the stream's level. */
        DEFLATE,
        /**
         * Huffman coding only: high-entropy data without repeats (base64, hex, some binaries), where LZ
         * matching finds almost nothing and costs most of the time (zlib level 1 ~25 MB/s per core on
         * base64, Huffman only ~120 MB/s, for a smaller result).
         */
        HUFFMAN,
        /** Stored: random or already compressed data (archives, images, encrypted files), which would not shrink. */
        STORE
    }

    private static final int HASH_BITS = 12;
    private static final int PIECES = 4;
    /** Estimated size at or above this fraction of the input: stored. */
    static final double STORE_RATIO = 63.0 / 64;
    /** Below this fraction of the sample covered by repeats, LZ matching is not worth its time. */
    static final double REPEATS_WORTH_MATCHING = 0.10;

    /** The scratch arrays of {@link #coding}: kept per task, reused. */
    private record Probe(int[] counts, int[] table) { }

    /**
     * Chooses a block's coding from a 16 KiB sample (four 4 KiB pieces spread over the block): the
     * fraction of it that 4-byte repeats cover (as a quick LZ pass would find them) and its order-0
     * entropy. Costs a few percent of a Huffman pass; a trial deflate of the sample at level 1, used before,
     * cost ~0.3 s of CPU per 100 MB of random or base64 content. Deterministic: depends only on the data.
     * A block shorter than the sample is deflated.
     */
    static Coding coding(byte[] data, int length) {
        return coding(data, length, new Probe(new int[256], new int[1 << HASH_BITS]));
    }

    private static Coding coding(byte[] data, int length, Probe probe) {
        if (length < SAMPLE) {
            return Coding.DEFLATE;
        }
        int[] counts = probe.counts();
        int[] table = probe.table();
        Arrays.fill(counts, 0);
        int piece = SAMPLE / PIECES;
        long covered = 0;
        long matches = 0;
        for (int p = 0; p < PIECES; p++) {
            int start = (int) ((long) (length - piece) * p / (PIECES - 1));
            int end = start + piece;
            for (int i = start; i < end; i++) {
                counts[data[i] & 0xff]++;
            }
            Arrays.fill(table, 0);
            int i = start;
            while (i + 4 <= end) {
                int v = (data[i] & 0xff) | (data[i + 1] & 0xff) << 8 | (data[i + 2] & 0xff) << 16 | data[i + 3] << 24;
                int h = (v * 0x9E3779B1) >>> (32 - HASH_BITS);
                int candidate = table[h] - 1;
                table[h] = i + 1;
                if (candidate >= 0 && data[candidate] == data[i] && data[candidate + 1] == data[i + 1]
                        && data[candidate + 2] == data[i + 2] && data[candidate + 3] == data[i + 3]) {
                    int len = 4;
                    while (i + len < end && len < 258 && data[candidate + len] == data[i + len]) {
                        len++;
                    }
                    covered += len;
                    matches++;
                    i += len;
                } else {
                    i++;
                }
            }
        }
        double repeats = (double) covered / SAMPLE;
        if (repeats >= REPEATS_WORTH_MATCHING) {
            return Coding.DEFLATE;
        }
        double bits = 0;
        for (int c : counts) {
            if (c > 0) {
                bits -= c * Math.log((double) c / SAMPLE);
            }
        }
        // literals at their entropy, ~3 bytes per match
        double estimate = (1 - repeats) * bits / Math.log(2) / 8 / SAMPLE + 3.0 * matches / SAMPLE;
        return estimate >= STORE_RATIO ? Coding.STORE : Coding.HUFFMAN;
    }

    private void drainOne() throws IOException {
        Task t = inFlight.poll();
        Chunk c;
        try {
            c = t.result().get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while compressing");
        } catch (ExecutionException e) {
            throw new IOException("compression failed: " + e.getCause(), e.getCause());
        }
        out.write(c.buffer(), 0, c.length());
        if (c.buffer().length == outputSize) { // a grown one is left to the GC
            freeOutput.add(c.buffer());
        }
        // Tasks finish in order here: the block before this one was this task's dictionary and is free now;
        // this block is the next task's dictionary, so it waits for the next drain.
        if (finishedInput != null) {
            freeInput.add(finishedInput);
        }
        finishedInput = t.input();
    }

    /** Finishes the gzip stream (last block, CRC32, ISIZE) and closes the underlying stream. */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        try {
            submit(true);
            while (!inFlight.isEmpty()) {
                drainOne();
            }
            byte[] trailer = new byte[8];
            long c = crc.getValue();
            long size = total & 0xffffffffL;
            for (int i = 0; i < 4; i++) {
                trailer[i] = (byte) (c >>> (8 * i));
                trailer[4 + i] = (byte) (size >>> (8 * i));
            }
            out.write(trailer);
        } finally {
            for (Task t : inFlight) {
                t.result().cancel(true);
            }
            // Deflaters still held by a cancelled task are ended by that task; these are idle.
            for (Deflater d; (d = deflaters.poll()) != null; ) {
                d.end();
            }
            for (IsalDeflater d; (d = isalDeflaters.poll()) != null; ) {
                d.close();
            }
            out.close();
        }
    }
}
