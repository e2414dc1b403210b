package io.krgo.tar;

/**
 * The fields of one 512-byte tar header block: their offsets, the number encodings (octal, GNU base-256),
 * the checksum and which dialect wrote the block. Stateless; the block stays the caller's.
 */
final class TarHeader {
    static final int BLOCK = 512;
    static final int NAME = 0, NAME_LEN = 100;
    static final int MODE = 100, UID = 108, GID = 116, SIZE = 124, MTIME = 136, CHKSUM = 148, TYPE = 156;
    static final int LINKNAME = 157, LINKNAME_LEN = 100;
    static final int MAGIC = 257, VERSION = 263, UNAME = 265, GNAME = 297, OWNER_NAME_LEN = 32;
    static final int DEVMAJOR = 329, DEVMINOR = 337, PREFIX = 345;
    /** Old GNU: times and the sparse map where ustar has its prefix. */
    static final int GNU_ATIME = 345, GNU_CTIME = 357, GNU_SPARSE = 386, GNU_IS_EXTENDED = 482, GNU_REALSIZE = 483;
    /** star/xstar: "tar\0" at the end shortens the prefix. */
    static final int STAR_ATIME = 476, STAR_CTIME = 488, STAR_TRAILER = 508, STAR_PREFIX_LEN = 131, USTAR_PREFIX_LEN = 155;

    static final byte[] EMPTY = new byte[0];

    /** Who wrote the block, as far as the magic tells. */
    enum Dialect { V7, USTAR, STAR, OLD_GNU }

    private TarHeader() {
    }

    static boolean isZero(byte[] b) {
        for (int i = 0; i < BLOCK; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        return true;
    }

    static Dialect dialect(byte[] b) {
        if (b[MAGIC] == 'u' && b[MAGIC + 1] == 's' && b[MAGIC + 2] == 't' && b[MAGIC + 3] == 'a' && b[MAGIC + 4] == 'r') {
            if (b[MAGIC + 5] == 0 && b[VERSION] == '0' && b[VERSION + 1] == '0') {
                return b[STAR_TRAILER] == 't' && b[STAR_TRAILER + 1] == 'a' && b[STAR_TRAILER + 2] == 'r'
                        && b[STAR_TRAILER + 3] == 0 ? Dialect.STAR : Dialect.USTAR;
            }
            if (b[MAGIC + 5] == ' ' && b[VERSION] == ' ' && b[VERSION + 1] == 0) {
                return Dialect.OLD_GNU;
            }
        }
        return Dialect.V7;
    }

    /**
     * The checksum as GNU tar accepts it: the stored octal value equals the sum of all bytes, unsigned or
     * (for old writers) signed, with the checksum field itself counted as eight spaces.
     */
    static boolean checksumOk(byte[] b) {
        long stored;
        try {
            stored = octal(b, CHKSUM, 8);
        } catch (TarFormatException e) {
            return false;
        }
        long unsigned = 0;
        long signed = 0;
        for (int i = 0; i < BLOCK; i++) {
            int v = i >= CHKSUM && i < CHKSUM + 8 ? ' ' : b[i];
            unsigned += v & 0xff;
            signed += v;
        }
        return stored == unsigned || stored == signed;
    }

    /** Length of a NUL-terminated (or field-filling) string field. */
    static int stringLength(byte[] b, int off, int len) {
        for (int i = 0; i < len; i++) {
            if (b[off + i] == 0) {
                return i;
            }
        }
        return len;
    }

    static byte[] string(byte[] b, int off, int len) {
        int n = stringLength(b, off, len);
        if (n == 0) {
            return EMPTY;
        }
        byte[] s = new byte[n];
        System.arraycopy(b, off, s, 0, n);
        return s;
    }

    /** The header's name: ustar and star join their prefix with '/'; old GNU and v7 have none. */
    static byte[] name(byte[] b, Dialect dialect) {
        int n = stringLength(b, NAME, NAME_LEN);
        int prefixLen = switch (dialect) {
            case USTAR -> stringLength(b, PREFIX, USTAR_PREFIX_LEN);
            case STAR -> stringLength(b, PREFIX, STAR_PREFIX_LEN);
            default -> 0;
        };
        if (prefixLen == 0) {
            return string(b, NAME, NAME_LEN);
        }
        byte[] s = new byte[prefixLen + 1 + n];
        System.arraycopy(b, PREFIX, s, 0, prefixLen);
        s[prefixLen] = '/';
        System.arraycopy(b, NAME, s, prefixLen + 1, n);
        return s;
    }

    /** A numeric field: octal, or GNU base-256 when the first byte has its high bit set. */
    static long number(byte[] b, int off, int len, String field) throws TarFormatException {
        if ((b[off] & 0x80) != 0) {
            return base256(b, off, len, field);
        }
        try {
            return octal(b, off, len);
        } catch (TarFormatException e) {
            throw new TarFormatException("bad " + field + " field");
        }
    }

    /** Like {@link #number} for fields that cannot be negative. */
    static long nonNegative(byte[] b, int off, int len, String field) throws TarFormatException {
        long v = number(b, off, len, field);
        if (v < 0) {
            throw new TarFormatException("negative " + field + " " + v);
        }
        return v;
    }

    /**
     * GNU base-256: big-endian two's complement in the bits after the marker bit 0x80; bit 0x40 of the
     * first byte is the sign (0xff for the negative numbers GNU tar writes).
     */
    private static long base256(byte[] b, int off, int len, String field) throws TarFormatException {
        int inv = (b[off] & 0x40) != 0 ? 0xff : 0;
        long x = 0;
        for (int i = 0; i < len; i++) {
            int c = (b[off + i] ^ inv) & 0xff;
            if (i == 0) {
                c &= 0x7f;
            }
            if ((x >>> 55) != 0) {
                throw new TarFormatException(field + " field overflows");
            }
            x = x << 8 | c;
        }
        return inv != 0 ? ~x : x;
    }

    /** Octal digits between optional leading spaces/zeros and trailing NULs/spaces; an empty field is 0. */
    static long octal(byte[] b, int off, int len) throws TarFormatException {
        int i = off;
        int end = off + len;
        while (i < end && b[i] == ' ') {
            i++;
        }
        long v = 0;
        for (; i < end && b[i] >= '0' && b[i] <= '7'; i++) {
            if ((v >>> 60) != 0) {
                throw new TarFormatException("overflow");
            }
            v = v << 3 | (b[i] - '0');
        }
        for (; i < end; i++) {
            if (b[i] != 0 && b[i] != ' ') {
                throw new TarFormatException("not octal");
            }
        }
        return v;
    }
}
