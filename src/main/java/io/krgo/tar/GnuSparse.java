package io.krgo.tar;

import io.krgo.tar.TarEntry.SparseSegment;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * GNU sparse maps in their four encodings: old GNU type 'S' (in the header and its extension blocks),
 * PAX 0.0 (repeated offset/numbytes records), PAX 0.1 ({@code GNU.sparse.map}) and PAX 1.0 (a decimal map
 * at the start of the entry's data); and the checks every map must pass.
 */
final class GnuSparse {
    /** Bound on a map's encoded bytes (extension blocks, the 1.0 map): as for PAX data. */
    static final int MAX_MAP_BYTES = 1 << 20;
    private static final int EXT_PAIRS = 21, EXT_IS_EXTENDED = 504, HEADER_PAIRS = 4;

    /** Supplies the next 512-byte block: an extension header, or a block of the entry's data. */
    interface BlockSource {
        void read(byte[] block) throws IOException, TarFormatException;
    }

    private GnuSparse() {
    }

    /** Old GNU: four pairs in the header, then 21 per extension block while "isextended" is set. */
    static List<SparseSegment> oldGnu(byte[] header, BlockSource extensions) throws IOException, TarFormatException {
        List<SparseSegment> segments = new ArrayList<>();
        pairs(header, TarHeader.GNU_SPARSE, HEADER_PAIRS, segments);
        boolean extended = header[TarHeader.GNU_IS_EXTENDED] != 0;
        byte[] block = extended ? new byte[TarHeader.BLOCK] : null;
        int read = 0;
        while (extended) {
            if ((read += TarHeader.BLOCK) > MAX_MAP_BYTES) {
                throw new TarFormatException("old GNU sparse map over " + MAX_MAP_BYTES + " bytes");
            }
            extensions.read(block);
            pairs(block, 0, EXT_PAIRS, segments);
            extended = block[EXT_IS_EXTENDED] != 0;
        }
        return segments;
    }

    private static void pairs(byte[] b, int off, int count, List<SparseSegment> into) throws TarFormatException {
        for (int i = 0; i < count; i++) {
            int at = off + i * 24;
            if (b[at] == 0) {
                break; // as GNU and BSD tar: an empty offset ends the list in this block
            }
            into.add(new SparseSegment(TarHeader.nonNegative(b, at, 12, "sparse offset"),
                    TarHeader.nonNegative(b, at + 12, 12, "sparse numbytes")));
        }
    }

    /** The PAX flavours: 1.0 reads its map from the data; 0.1 has GNU.sparse.map; 0.0 offset/numbytes pairs. */
    static List<SparseSegment> pax(PaxFields pax, BlockSource data) throws IOException, TarFormatException {
        String major = pax.sparseMajor == null ? null : new String(pax.sparseMajor, StandardCharsets.ISO_8859_1);
        String minor = pax.sparseMinor == null ? null : new String(pax.sparseMinor, StandardCharsets.ISO_8859_1);
        if ("1".equals(major) && "0".equals(minor)) {
            return pax10(data).segments();
        }
        if (major != null && !("0".equals(major) && ("0".equals(minor) || "1".equals(minor)))) {
            throw new TarFormatException("unsupported GNU sparse format " + Printable.of(pax.sparseMajor) + "."
                    + (minor == null ? "" : Printable.of(pax.sparseMinor)));
        }
        if (pax.sparseMap != null) {
            return pax01(pax.sparseMap);
        }
        if (pax.sparsePairCount % 2 != 0) {
            throw new TarFormatException("GNU sparse 0.0 offset without numbytes");
        }
        List<SparseSegment> segments = new ArrayList<>(pax.sparsePairCount / 2);
        for (int i = 0; i < pax.sparsePairCount; i += 2) {
            segments.add(new SparseSegment(pax.sparsePairs[i], pax.sparsePairs[i + 1]));
        }
        return segments;
    }

    /** The file's length: GNU.sparse.realsize (1.0) or GNU.sparse.size (0.x). */
    static long realSize(PaxFields pax) throws TarFormatException {
        if (pax.sparseRealSize >= 0) {
            return pax.sparseRealSize;
        }
        if (pax.sparseSize >= 0) {
            return pax.sparseSize;
        }
        throw new TarFormatException("GNU sparse file without its real size");
    }

    /** PAX 0.1's "offset,length,offset,length,...". */
    static List<SparseSegment> pax01(byte[] map) throws TarFormatException {
        List<SparseSegment> segments = new ArrayList<>();
        if (map.length == 0) {
            return segments;
        }
        int start = 0;
        long offset = -1;
        for (int i = 0; i <= map.length; i++) {
            if (i == map.length || map[i] == ',') {
                long n = PaxRecords.decimal(map, start, i - start, "GNU.sparse.map");
                if (offset < 0) {
                    offset = n;
                } else {
                    segments.add(new SparseSegment(offset, n));
                    offset = -1;
                }
                start = i + 1;
            }
        }
        if (offset >= 0) {
            throw new TarFormatException("GNU.sparse.map has an odd number of values");
        }
        return segments;
    }

    /** The result of reading a 1.0 map: its segments and how many data bytes (whole blocks) it took. */
    record DataMap(List<SparseSegment> segments, long bytes) {
    }

    /** PAX 1.0: decimal lines (count, then offset and length per segment) in whole blocks before the data. */
    static DataMap pax10(BlockSource data) throws IOException, TarFormatException {
        byte[] block = new byte[TarHeader.BLOCK];
        List<SparseSegment> segments = new ArrayList<>();
        long bytes = 0;
        int pos = TarHeader.BLOCK;
        long count = -1;
        long offset = -1;
        while (count < 0 || segments.size() < count) {
            long value = 0;
            int digits = 0;
            while (true) {
                if (pos == TarHeader.BLOCK) {
                    if ((bytes += TarHeader.BLOCK) > MAX_MAP_BYTES) {
                        throw new TarFormatException("GNU sparse 1.0 map over " + MAX_MAP_BYTES + " bytes");
                    }
                    data.read(block);
                    pos = 0;
                }
                byte c = block[pos++];
                if (c == '\n') {
                    break;
                }
                if (c < '0' || c > '9' || value > (Long.MAX_VALUE - 9) / 10) {
                    throw new TarFormatException("bad GNU sparse 1.0 map: not a number");
                }
                value = value * 10 + (c - '0');
                digits++;
            }
            if (digits == 0) {
                throw new TarFormatException("bad GNU sparse 1.0 map: empty number");
            }
            if (count < 0) {
                count = value;
            } else if (offset < 0) {
                offset = value;
            } else {
                segments.add(new SparseSegment(offset, value));
                offset = -1;
            }
        }
        return new DataMap(segments, bytes);
    }

    /**
     * Checks a map against the file's real size and the stored data: segments ascending, not overlapping,
     * inside the file, their lengths adding up to the stored bytes. Returns the segments without the
     * zero-length ones (GNU tar ends a map with one at the real size when the file ends in a hole).
     */
    static List<SparseSegment> validate(List<SparseSegment> segments, long realSize, long storedSize)
            throws TarFormatException {
        long end = 0;
        long total = 0;
        int empty = 0;
        for (SparseSegment s : segments) {
            if (s.offset() < end) {
                throw new TarFormatException("sparse map not ascending or overlapping at offset " + s.offset());
            }
            if (s.offset() > realSize || s.length() > realSize - s.offset()) {
                throw new TarFormatException("sparse segment at " + s.offset() + " (" + s.length()
                        + " bytes) beyond the file's size " + realSize);
            }
            end = s.offset() + s.length();
            total += s.length();
            if (s.length() == 0) {
                empty++;
            }
        }
        if (total != storedSize) {
            throw new TarFormatException("sparse map holds " + total + " bytes but the entry stores " + storedSize);
        }
        if (empty == 0) {
            return List.copyOf(segments);
        }
        List<SparseSegment> data = new ArrayList<>(segments.size() - empty);
        for (SparseSegment s : segments) {
            if (s.length() > 0) {
                data.add(s);
            }
        }
        return List.copyOf(data);
    }
}
