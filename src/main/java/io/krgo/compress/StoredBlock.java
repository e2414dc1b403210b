package io.krgo.compress;

/**
 * Deflate's stored block (RFC 1951, 3.2.4): raw bytes behind a 5-byte header. Written by krgo itself where
 * compressing would not pay (incompressible gzip blocks of a layer, pull -g's git objects).
 */
public final class StoredBlock {
    /** The most bytes one stored block holds (LEN is 16 bits). */
    public static final int MAX_LENGTH = 65535;

    private StoredBlock() {
    }

    /**
     * Writes the header of a stored block of {@code length} bytes at {@code at}: BFINAL and type 00 padded to a
     * byte (every block here starts on a byte boundary), then LEN and NLEN. Returns the position after it.
     */
    public static int header(byte[] into, int at, int length, boolean last) {
        into[at] = (byte) (last ? 1 : 0);
        into[at + 1] = (byte) length;
        into[at + 2] = (byte) (length >>> 8);
        into[at + 3] = (byte) ~length;
        into[at + 4] = (byte) (~length >>> 8);
        return at + 5;
    }
}
