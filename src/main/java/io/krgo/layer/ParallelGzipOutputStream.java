package io.krgo.layer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.util.ArrayDeque;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/**
 * pigz-style gzip: the input is cut into blocks that are deflated concurrently, each primed with the
 * previous block's last 32 KiB as preset dictionary and ended with a sync flush, so the concatenation is
 * one valid deflate stream; the last block is finished. CRC32 and ISIZE are computed here, on the
 * writer's thread, in input order. Output is deterministic (fixed header, no name, mtime 0) and does not
 * depend on the number of threads. At most a few blocks are in flight, so memory stays bounded.
 */
public final class ParallelGzipOutputStream extends OutputStream {
    public static final int DEFAULT_BLOCK = 256 * 1024;
    private static final int DICT = 32 * 1024;
    private static final int SAMPLE = 16 * 1024;
    private static final byte[] HEADER = {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 0, (byte) 0xff};

    private final OutputStream out;
    private final ExecutorService pool;
    private final int level;
    private final int blockSize;
    private final int maxInFlight;
    private final ArrayDeque<Future<byte[]>> inFlight = new ArrayDeque<>();
    private final CRC32 crc = new CRC32();
    private byte[] block;
    private int filled;
    private byte[] previous;
    private long total;
    private boolean closed;

    /**
     * @param pool      runs the deflate tasks; owned by the caller
     * @param threads   how many blocks may be compressed at once (bounds memory: ~2 blocks per thread)
     */
    public ParallelGzipOutputStream(OutputStream out, ExecutorService pool, int threads, int level, int blockSize)
            throws IOException {
        if (blockSize < DICT) {
            throw new IllegalArgumentException("block size must be at least 32 KiB");
        }
        this.out = out;
        this.pool = pool;
        this.level = level;
        this.blockSize = blockSize;
        this.maxInFlight = Math.max(2, threads * 2);
        this.block = new byte[blockSize];
        out.write(HEADER);
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[]{(byte) b}, 0, 1);
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
        int lvl = level;
        inFlight.add(pool.submit(() -> deflate(data, length, dict, lvl, last)));
        previous = data;
        block = last ? null : new byte[blockSize];
        filled = 0;
        while (inFlight.size() >= maxInFlight) {
            drainOne();
        }
    }

    private static byte[] deflate(byte[] data, int length, byte[] dict, int level, boolean last) {
        double ratio = level > 0 ? sampleRatio(data, length) : 0;
        Deflater d = new Deflater(ratio >= STORE_RATIO ? Deflater.NO_COMPRESSION : level, true);
        if (ratio >= HUFFMAN_RATIO && ratio < STORE_RATIO) {
            // High-entropy but not random (base64, hex, some binaries): LZ matching finds almost nothing and
            // costs most of the time; Huffman coding alone gives nearly the same size several times faster.
            d.setStrategy(Deflater.HUFFMAN_ONLY);
        }
        try {
            if (dict != null) {
                d.setDictionary(dict, dict.length - DICT, DICT);
            }
            d.setInput(data, 0, length);
            ByteArrayOutputStream o = new ByteArrayOutputStream(length / 2 + 64);
            byte[] buf = new byte[64 * 1024];
            if (last) {
                d.finish();
                while (!d.finished()) {
                    int n = d.deflate(buf);
                    o.write(buf, 0, n);
                }
            } else {
                // SYNC_FLUSH until the deflater produces less than a full buffer: all input consumed and
                // flushed to a byte boundary, so the next block's bytes can simply follow.
                // (A changed strategy is applied by the first call, which may consume no input: hence
                // also loop while input is left.)
                int n;
                do {
                    n = d.deflate(buf, 0, buf.length, Deflater.SYNC_FLUSH);
                    o.write(buf, 0, n);
                } while (n == buf.length || !d.needsInput());
            }
            return o.toByteArray();
        } finally {
            d.end();
        }
    }

    /** A sample compressed to at least this fraction at level 1: the block is stored. */
    static final double STORE_RATIO = 63.0 / 64;
    /** ... to at least this fraction (but less than STORE_RATIO): the block is Huffman-coded only. */
    static final double HUFFMAN_RATIO = 0.70;

    /**
     * How well a 16 KiB sample of the block shrinks at level 1 (compressed / original; 0 for a short
     * block, which is simply compressed). Already compressed or random content (archives, images,
     * encrypted files) is stored instead of searched for matches at ~30 MB/s per core; high-entropy text
     * is Huffman-coded only. The sample costs ~6% of a compressible block. Deterministic: it depends only
     * on the data.
     */
    static double sampleRatio(byte[] data, int length) {
        int n = Math.min(length, SAMPLE);
        if (n < SAMPLE) {
            return 0;
        }
        Deflater probe = new Deflater(1, true);
        try {
            probe.setInput(data, 0, n);
            probe.finish();
            byte[] out = new byte[n + 64];
            int produced = 0;
            while (!probe.finished() && produced < out.length) {
                produced += probe.deflate(out, produced, out.length - produced);
            }
            return (double) produced / n;
        } finally {
            probe.end();
        }
    }

    /** True when the block would be stored: its sample does not shrink at level 1. */
    static boolean incompressible(byte[] data, int length) {
        return sampleRatio(data, length) >= STORE_RATIO;
    }

    private void drainOne() throws IOException {
        Future<byte[]> f = inFlight.poll();
        try {
            out.write(f.get());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while compressing");
        } catch (ExecutionException e) {
            throw new IOException("compression failed: " + e.getCause(), e.getCause());
        }
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
            for (Future<byte[]> f : inFlight) {
                f.cancel(true);
            }
            out.close();
        }
    }
}
