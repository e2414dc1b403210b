package io.krgo.tar;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What the PAX records in force say about one entry: global records first, then the entry's own, each
 * overriding what came before. A field left null (or -1) keeps the header's value; an empty value
 * (other than an xattr's) deletes an earlier record's, as POSIX says. Unknown keys are ignored.
 */
final class PaxFields {
    private static final String SCHILY_XATTR = "SCHILY.xattr.", LIBARCHIVE_XATTR = "LIBARCHIVE.xattr.";

    byte[] path, linkpath, uname, gname;
    long size = -1, uid = -1, gid = -1;
    int devMajor = -1, devMinor = -1;
    TarTime mtime, atime, ctime;
    Map<String, byte[]> xattrs;
    String aclAccess, aclDefault;
    // GNU sparse, PAX flavours
    byte[] sparseMajor, sparseMinor, sparseName, sparseMap;
    long sparseSize = -1, sparseRealSize = -1;
    /** GNU sparse 0.0: offset, numbytes, offset, ... in record order. */
    long[] sparsePairs;
    int sparsePairCount;

    /** Forgets the previous entry's values (the reader reuses one instance; what it handed out stays intact). */
    void reset() {
        path = linkpath = uname = gname = null;
        size = uid = gid = -1;
        devMajor = devMinor = -1;
        mtime = atime = ctime = null;
        xattrs = null;
        aclAccess = aclDefault = null;
        sparseMajor = sparseMinor = sparseName = sparseMap = null;
        sparseSize = sparseRealSize = -1;
        sparsePairCount = 0; // the array is kept: its values were copied into segments
    }

    /** Folds in one record; {@code local} is false for a global ('g') record. */
    void apply(String key, byte[] v, boolean local) throws TarFormatException {
        if (!local && key.startsWith("GNU.sparse.")) {
            return; // a sparse map describes one file, never all that follow
        }
        boolean empty = v.length == 0;
        switch (key) {
            case "path" -> path = empty ? null : v;
            case "linkpath" -> linkpath = empty ? null : v;
            case "uname" -> uname = empty ? null : v;
            case "gname" -> gname = empty ? null : v;
            case "size" -> size = empty ? -1 : PaxRecords.decimal(v, key);
            case "uid" -> uid = empty ? -1 : PaxRecords.decimal(v, key);
            case "gid" -> gid = empty ? -1 : PaxRecords.decimal(v, key);
            case "mtime" -> mtime = empty ? null : PaxRecords.time(v, key);
            case "atime" -> atime = empty ? null : PaxRecords.time(v, key);
            case "ctime" -> ctime = empty ? null : PaxRecords.time(v, key);
            case "SCHILY.devmajor" -> devMajor = empty ? -1 : PaxRecords.smallDecimal(v, key);
            case "SCHILY.devminor" -> devMinor = empty ? -1 : PaxRecords.smallDecimal(v, key);
            case "SCHILY.acl.access" -> aclAccess = empty ? null : new String(v, StandardCharsets.UTF_8);
            case "SCHILY.acl.default" -> aclDefault = empty ? null : new String(v, StandardCharsets.UTF_8);
            case "GNU.sparse.major" -> sparseMajor = empty ? null : v;
            case "GNU.sparse.minor" -> sparseMinor = empty ? null : v;
            case "GNU.sparse.name" -> sparseName = empty ? null : v;
            case "GNU.sparse.map" -> sparseMap = empty ? null : v;
            case "GNU.sparse.size" -> sparseSize = empty ? -1 : PaxRecords.decimal(v, key);
            case "GNU.sparse.realsize" -> sparseRealSize = empty ? -1 : PaxRecords.decimal(v, key);
            case "GNU.sparse.offset" -> sparsePair(v, key, true);
            case "GNU.sparse.numbytes" -> sparsePair(v, key, false);
            default -> {
                if (key.startsWith(SCHILY_XATTR)) {
                    xattr(schilyName(key), v);
                } else if (key.startsWith(LIBARCHIVE_XATTR)) {
                    byte[] name = PaxRecords.percentDecode(key.getBytes(StandardCharsets.ISO_8859_1),
                            LIBARCHIVE_XATTR.length());
                    try {
                        xattr(utf8(name), Base64.getDecoder().decode(v));
                    } catch (IllegalArgumentException e) {
                        throw new TarFormatException("PAX " + Printable.of(key.getBytes(StandardCharsets.ISO_8859_1))
                                + " is not base64");
                    }
                }
            }
        }
    }

    boolean sparse() {
        return sparseMajor != null || sparseMinor != null || sparseMap != null || sparsePairCount > 0
                || sparseSize >= 0 || sparseRealSize >= 0;
    }

    private void sparsePair(byte[] v, String key, boolean offset) throws TarFormatException {
        if ((sparsePairCount % 2 == 0) != offset) {
            throw new TarFormatException("GNU sparse 0.0 " + key + " out of order");
        }
        if (sparsePairs == null) {
            sparsePairs = new long[16];
        } else if (sparsePairCount == sparsePairs.length) {
            sparsePairs = java.util.Arrays.copyOf(sparsePairs, sparsePairs.length * 2);
        }
        sparsePairs[sparsePairCount++] = PaxRecords.decimal(v, key);
    }

    private void xattr(String name, byte[] value) throws TarFormatException {
        if (name.isEmpty()) {
            throw new TarFormatException("PAX xattr record without a name");
        }
        if (xattrs == null) {
            xattrs = new LinkedHashMap<>();
        }
        xattrs.put(name, value);
    }

    /**
     * GNU tar writes '%' and '=' in names as %25 and %3D, libarchive percent-encodes also spaces, controls
     * and non-ASCII bytes (and writes the same name, encoded alike, as LIBARCHIVE.xattr): both are read back
     * by percent-decoding. A '%' not followed by two hex digits (a raw name from star or Go) stays as it is.
     */
    private static String schilyName(String key) throws TarFormatException {
        byte[] raw = key.substring(SCHILY_XATTR.length()).getBytes(StandardCharsets.ISO_8859_1);
        int n = 0;
        for (int i = 0; i < raw.length; i++, n++) {
            int hi = raw[i] == '%' && i + 2 < raw.length ? Character.digit(raw[i + 1], 16) : -1;
            int lo = hi >= 0 ? Character.digit(raw[i + 2], 16) : -1;
            if (lo >= 0) {
                raw[n] = (byte) (hi << 4 | lo);
                i += 2;
            } else {
                raw[n] = raw[i];
            }
        }
        return utf8(java.util.Arrays.copyOf(raw, n));
    }

    private static String utf8(byte[] name) throws TarFormatException {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(name)).toString();
        } catch (CharacterCodingException e) {
            throw new TarFormatException("xattr name is not UTF-8: '" + Printable.of(name) + "'");
        }
    }
}
