package io.krgo.tar;

import io.krgo.error.UnsafeImageException;
import io.krgo.tar.TarEntry.Kind;
import io.krgo.tar.TarEntry.SparseSegment;
import io.krgo.tar.TarHeader.Dialect;

import java.io.IOException;
import java.io.InputStream;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads an uncompressed tar stream entry by entry, keeping every header field and PAX record as bytes.
 * Streaming: one entry's data is read through {@link #read} (or skipped by {@link #next}), never held.
 * A malformed archive is an {@link io.krgo.error.UnsafeImageException} naming the entry.
 * <p>
 * Reads ustar, star, old GNU and v7 headers, PAX {@code x} and {@code g} records, GNU long names and links
 * and GNU sparse files (old GNU, PAX 0.0, 0.1 and 1.0). The stream is read exactly as far as needed (no
 * read-ahead), so after {@code next()} returned null the caller's stream is just past the first zero block
 * (Go's reader, for one, refuses a zero block followed by anything but a second one: a caller that wants
 * the same checks what follows). Not thread-safe; one reader per stream.
 */
public final class TarReader {
    /** Bound on the data of a meta entry (PAX x or g, GNU L or K), and on all of them before one entry. */
    public static final int MAX_META_BYTES = 1 << 20;
    private static final int BLOCK = TarHeader.BLOCK;
    private static final int SCRATCH = 16 * 1024;
    private static final byte[] EMPTY = TarHeader.EMPTY;

    private final InputStream in;
    private final byte[] header = new byte[BLOCK];
    /** Reused for meta entries' data (grown up to MAX_META_BYTES) and for skipping. */
    private byte[] scratch = new byte[SCRATCH];
    private long position;
    private long remaining;
    private long padding;
    private byte[] currentName;
    private boolean ended;
    private LinkedHashMap<String, byte[]> globals;
    private long globalBytes;
    private final PaxFields pax = new PaxFields();

    public TarReader(InputStream in) {
        this.in = in;
    }

    /**
     * The next entry, skipping what is left of the current one's data; null at the end-of-archive marker
     * (the first zero block; a second one is not required).
     */
    public TarEntry next() throws IOException {
        if (ended) {
            return null;
        }
        List<PaxRecords.Record> local = null;
        byte[] longName = null;
        byte[] longLink = null;
        long metaBytes = 0;
        byte[] metaName = null;
        while (true) {
            skipRest(); // the previous entry's data, or a meta entry's padding
            currentName = null;
            int n = readFully(header, 0, BLOCK);
            if (n == 0) {
                throw metaName != null ? truncated(metaName) // the entry the meta data was for is missing
                        : new UnsafeImageException("layer tar is truncated (no end-of-archive marker)");
            }
            if (n < BLOCK) {
                byte[] partial = longName != null ? longName
                        : TarHeader.string(header, 0, Math.min(n, TarHeader.NAME_LEN));
                throw truncated(partial);
            }
            if (TarHeader.isZero(header)) {
                ended = true;
                return null;
            }
            Dialect dialect = TarHeader.dialect(header);
            currentName = TarHeader.name(header, dialect);
            if (!TarHeader.checksumOk(header)) {
                throw unsafe(currentName, "bad header checksum");
            }
            byte type = header[TarHeader.TYPE];
            if (type == 'x' || type == 'g' || type == 'L' || type == 'K') {
                metaName = currentName;
                int size = metaSize(type);
                if ((metaBytes += size) > MAX_META_BYTES) {
                    throw unsafe(currentName, "meta entries before one entry hold over " + MAX_META_BYTES + " bytes");
                }
                readData(scratch, size);
                try {
                    switch (type) {
                        case 'x' -> {
                            List<PaxRecords.Record> records = PaxRecords.parse(scratch, size);
                            if (local == null) {
                                local = records;
                            } else {
                                local.addAll(records);
                            }
                        }
                        case 'g' -> global(PaxRecords.parse(scratch, size));
                        case 'L' -> longName = TarHeader.string(scratch, 0, size);
                        default -> longLink = TarHeader.string(scratch, 0, size);
                    }
                } catch (TarFormatException e) {
                    throw unsafe(currentName, e.getMessage());
                }
                continue;
            }
            if (type == 'V') {
                // A volume label names the archive, not a file: skipped with whatever meta data led to it.
                startData(nonNegative(TarHeader.SIZE, 12, "size"));
                local = null;
                longName = null;
                longLink = null;
                metaBytes = 0;
                metaName = null;
                continue;
            }
            return entry(dialect, type, local, longName, longLink);
        }
    }

    /** Reads the current entry's stored data; -1 at its end. */
    public int read(byte[] b, int off, int len) throws IOException {
        if (remaining == 0) {
            return -1;
        }
        if (len == 0) {
            return 0;
        }
        int n = in.read(b, off, (int) Math.min(len, remaining));
        if (n < 0) {
            throw truncated(currentName);
        }
        remaining -= n;
        position += n;
        return n;
    }

    /** Bytes of the tar stream consumed so far. */
    public long position() {
        return position;
    }

    private TarEntry entry(Dialect dialect, byte type, List<PaxRecords.Record> local, byte[] longName,
            byte[] longLink) throws IOException {
        PaxFields pax = this.pax;
        pax.reset();
        byte[] name = longName != null ? longName : currentName;
        try {
            if (globals != null) {
                for (Map.Entry<String, byte[]> g : globals.entrySet()) {
                    pax.apply(g.getKey(), g.getValue(), false);
                }
            }
            if (local != null) {
                for (PaxRecords.Record r : local) {
                    pax.apply(r.key(), r.value(), true);
                }
            }
        } catch (TarFormatException e) {
            throw unsafe(pax.path != null ? pax.path : name, e.getMessage());
        }
        if (pax.path != null) {
            name = pax.path;
        }
        if (pax.sparseName != null && pax.sparse()) {
            name = pax.sparseName;
        }
        currentName = name;
        Kind kind = switch (type) {
            case '0', '\0', '7', 'S' -> Kind.FILE;
            case '1' -> Kind.HARDLINK;
            case '2' -> Kind.SYMLINK;
            case '3' -> Kind.CHAR_DEVICE;
            case '4' -> Kind.BLOCK_DEVICE;
            case '5', 'D' -> Kind.DIRECTORY;
            case '6' -> Kind.FIFO;
            default -> throw unsafe(name, "unsupported tar entry type '" + Printable.typeFlag(type) + "'");
        };
        boolean sparse = type == 'S' || pax.sparse();
        if ((type == '0' || type == '\0') && !sparse && name.length > 0 && name[name.length - 1] == '/') {
            kind = Kind.DIRECTORY; // v7 and old writers: a directory is a file whose name ends in '/'
        }
        int mode = (int) (number(TarHeader.MODE, 8, "mode") & 07777);
        long uid = pax.uid >= 0 ? pax.uid : nonNegative(TarHeader.UID, 8, "uid");
        long gid = pax.gid >= 0 ? pax.gid : nonNegative(TarHeader.GID, 8, "gid");
        long size = pax.size >= 0 ? pax.size : nonNegative(TarHeader.SIZE, 12, "size");
        TarTime mtime = pax.mtime != null ? pax.mtime : TarTime.ofSeconds(number(TarHeader.MTIME, 12, "mtime"));
        TarTime atime = pax.atime != null ? pax.atime : headerTime(dialect, true);
        TarTime ctime = pax.ctime != null ? pax.ctime : headerTime(dialect, false);
        boolean named = dialect != Dialect.V7;
        byte[] uname = pax.uname != null ? pax.uname
                : named ? TarHeader.string(header, TarHeader.UNAME, TarHeader.OWNER_NAME_LEN) : EMPTY;
        byte[] gname = pax.gname != null ? pax.gname
                : named ? TarHeader.string(header, TarHeader.GNAME, TarHeader.OWNER_NAME_LEN) : EMPTY;
        int devMajor = 0;
        int devMinor = 0;
        if (kind == Kind.CHAR_DEVICE || kind == Kind.BLOCK_DEVICE) {
            devMajor = pax.devMajor >= 0 ? pax.devMajor : named ? device(TarHeader.DEVMAJOR, "devmajor") : 0;
            devMinor = pax.devMinor >= 0 ? pax.devMinor : named ? device(TarHeader.DEVMINOR, "devminor") : 0;
        }
        byte[] linkName = EMPTY;
        if (kind == Kind.HARDLINK || kind == Kind.SYMLINK) {
            linkName = pax.linkpath != null ? pax.linkpath : longLink != null ? longLink
                    : TarHeader.string(header, TarHeader.LINKNAME, TarHeader.LINKNAME_LEN);
        }
        startData(hasData(kind, type, pax) ? size : 0);
        long realSize = remaining;
        List<SparseSegment> segments = null;
        if (sparse) {
            if (kind != Kind.FILE) {
                throw unsafe(name, "GNU sparse records on an entry of type '" + Printable.typeFlag(type) + "'");
            }
            segments = sparseMap(type, pax, name);
            try {
                realSize = type == 'S' ? nonNegative(TarHeader.GNU_REALSIZE, 12, "realsize") : GnuSparse.realSize(pax);
                segments = GnuSparse.validate(segments, realSize, remaining);
            } catch (TarFormatException e) {
                throw unsafe(name, e.getMessage());
            }
        }
        Map<String, byte[]> xattrs = pax.xattrs == null ? Map.of() : Collections.unmodifiableMap(pax.xattrs);
        return new TarEntry(name, kind, type, linkName, mode, uid, gid, uname, gname, remaining, realSize, mtime,
                atime, ctime, devMajor, devMinor, xattrs, pax.aclAccess, pax.aclDefault, segments);
    }

    /**
     * Whether the entry's size counts data blocks that follow it. Readers disagree for entries that make no
     * file content, and an entry one reader sees and another skips as data could hide files from one of
     * them: this reads as Go's archive/tar (containerd, Docker) does, with bsdtar and Python, and never skips
     * data after a directory, symlink, device or FIFO whatever the size says (GNU tar alone skips it after
     * symlinks, devices and FIFOs), nor after a hardlink whose size only the header gives. A PAX {@code size}
     * on a hardlink is data, as GNU tar and bsdtar read it (POSIX pax stores linked data so; Go and Python
     * do not skip it). A GNU dumpdir holds its listing; a v7 directory ("name/") has data after type '0',
     * none after type NUL, as for Go and Python.
     */
    private static boolean hasData(Kind kind, byte type, PaxFields pax) {
        return switch (kind) {
            case FILE -> true;
            case HARDLINK -> pax.size >= 0;
            case DIRECTORY -> type == 'D' || type == '0';
            default -> false;
        };
    }

    private List<SparseSegment> sparseMap(byte type, PaxFields pax, byte[] name) throws IOException {
        try {
            if (type == 'S') {
                // The extension blocks come before the data and are not counted in its size.
                return GnuSparse.oldGnu(header, block -> {
                    if (readFully(block, 0, BLOCK) < BLOCK) {
                        throw truncated(name);
                    }
                });
            }
            return GnuSparse.pax(pax, block -> {
                if (remaining < BLOCK) {
                    throw new TarFormatException("GNU sparse 1.0 map runs past the entry's data");
                }
                readData(block, BLOCK);
            });
        } catch (TarFormatException e) {
            throw unsafe(name, e.getMessage());
        }
    }

    /** A 'g' record set: later ones override earlier ones, an empty value deletes the key. */
    private void global(List<PaxRecords.Record> records) throws TarFormatException {
        if (globals == null) {
            globals = new LinkedHashMap<>();
        }
        for (PaxRecords.Record r : records) {
            byte[] old = r.value().length == 0 ? globals.remove(r.key()) : globals.put(r.key(), r.value());
            if (old != null) {
                globalBytes -= r.key().length() + old.length;
            }
            if (r.value().length > 0) {
                globalBytes += r.key().length() + r.value().length;
            }
        }
        if (globalBytes > MAX_META_BYTES) {
            throw new TarFormatException("global PAX records in force hold over " + MAX_META_BYTES + " bytes");
        }
    }

    private TarTime headerTime(Dialect dialect, boolean access) throws IOException {
        int off = switch (dialect) {
            case OLD_GNU -> access ? TarHeader.GNU_ATIME : TarHeader.GNU_CTIME;
            case STAR -> access ? TarHeader.STAR_ATIME : TarHeader.STAR_CTIME;
            default -> -1;
        };
        if (off < 0 || header[off] == 0) {
            return null;
        }
        return TarTime.ofSeconds(number(off, 12, access ? "atime" : "ctime"));
    }

    private int metaSize(byte type) {
        long size = nonNegative(TarHeader.SIZE, 12, "size");
        if (size > MAX_META_BYTES) {
            String what = type == 'x' || type == 'g' ? "PAX header" : type == 'L' ? "GNU long name" : "GNU long link";
            throw unsafe(currentName, what + " of " + size + " bytes is over the " + MAX_META_BYTES + "-byte limit");
        }
        if (scratch.length < size) {
            scratch = new byte[(int) Math.max(size, Math.min((long) scratch.length * 2, MAX_META_BYTES))];
        }
        startData(size);
        return (int) size;
    }

    private long number(int off, int len, String field) {
        try {
            return TarHeader.number(header, off, len, field);
        } catch (TarFormatException e) {
            throw unsafe(currentName, e.getMessage());
        }
    }

    private long nonNegative(int off, int len, String field) {
        long v = number(off, len, field);
        if (v < 0) {
            throw unsafe(currentName, "negative " + field + " " + v);
        }
        return v;
    }

    private int device(int off, String field) {
        long v = nonNegative(off, 8, field);
        if (v > Integer.MAX_VALUE) {
            throw unsafe(currentName, field + " out of range: " + v);
        }
        return (int) v;
    }

    private void startData(long size) {
        remaining = size;
        padding = (BLOCK - size % BLOCK) % BLOCK;
    }

    /** Reads {@code len} bytes of the current entry's data into {@code b}. */
    private void readData(byte[] b, int len) throws IOException {
        if (readFully(b, 0, len) < len) {
            throw truncated(currentName);
        }
        remaining -= len;
    }

    /** Skips the rest of the current entry's data and its padding, through the scratch buffer. */
    private void skipRest() throws IOException {
        long left = remaining + padding;
        while (left > 0) {
            int n = in.read(scratch, 0, (int) Math.min(left, scratch.length));
            if (n < 0) {
                throw truncated(currentName);
            }
            left -= n;
            position += n;
        }
        remaining = 0;
        padding = 0;
    }

    private int readFully(byte[] b, int off, int len) throws IOException {
        int done = 0;
        while (done < len) {
            int n = in.read(b, off + done, len - done);
            if (n < 0) {
                break;
            }
            done += n;
            position += n;
        }
        return done;
    }

    private static UnsafeImageException truncated(byte[] name) {
        return new UnsafeImageException("layer tar is truncated inside entry '"
                + (name == null ? "" : Printable.of(name)) + "'");
    }

    private static UnsafeImageException unsafe(byte[] name, String problem) {
        return new UnsafeImageException("layer tar entry '" + Printable.of(name) + "': " + problem);
    }
}
