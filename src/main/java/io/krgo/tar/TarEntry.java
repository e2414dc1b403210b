package io.krgo.tar;

import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;

/**
 * One tar entry's header, every field as the archive holds it: names and link targets as bytes (a Linux
 * file name is bytes, not text), xattr values as bytes, times to the nanosecond, sizes beyond octal.
 * PAX records ({@code x}, and {@code g} ones in force), GNU long names/links and sparse maps are already
 * folded in. Immutable apart from the arrays, which nobody changes.
 *
 * @param name      the entry's path, raw bytes, as written (a trailing '/' of a directory kept)
 * @param kind      what the entry makes
 * @param typeFlag  the header's type flag byte, for messages
 * @param linkName  hardlink or symlink target, raw bytes; empty for other kinds
 * @param mode      permission bits with setuid/setgid/sticky (07777); file-type bits some writers add are dropped
 * @param uid       owner (PAX {@code uid}, base-256 or octal)
 * @param gid       group
 * @param uname     owner name, raw bytes (may be empty)
 * @param gname     group name, raw bytes (may be empty)
 * @param size      the bytes of data the archive stores for this entry, what {@link TarReader#read} delivers
 *                  (for a sparse file: only its data segments, without the map)
 * @param realSize  the file's length: {@code size} unless sparse
 * @param mtime     modification time
 * @param atime     access time, null when the archive has none
 * @param ctime     change time, null when the archive has none
 * @param devMajor  device major number (devices only)
 * @param devMinor  device minor number (devices only)
 * @param xattrs    extended attributes by full name ({@code security.capability}, {@code user.x}, ...), values as
 *                  raw bytes: from {@code SCHILY.xattr.*} and {@code LIBARCHIVE.xattr.*} (percent-decoded
 *                  name, base64-decoded value); unmodifiable, insertion order
 * @param aclAccess bsdtar's text access ACL ({@code SCHILY.acl.access}), null when absent
 * @param aclDefault bsdtar's text default ACL ({@code SCHILY.acl.default}), null when absent
 * @param sparse    the data segments of a sparse file in file order (what {@link TarReader#read} delivers
 *                  is their bytes concatenated); null when the file is not sparse
 */
public record TarEntry(byte[] name, Kind kind, byte typeFlag, byte[] linkName, int mode, long uid, long gid,
        byte[] uname, byte[] gname, long size, long realSize, TarTime mtime, TarTime atime, TarTime ctime,
        int devMajor, int devMinor, Map<String, byte[]> xattrs, String aclAccess, String aclDefault,
        List<SparseSegment> sparse) {

    /** What an entry makes. */
    public enum Kind { FILE, DIRECTORY, SYMLINK, HARDLINK, CHAR_DEVICE, BLOCK_DEVICE, FIFO }

    /** A data segment of a sparse file: {@code length} bytes at {@code offset}; the rest is a hole. */
    public record SparseSegment(long offset, long length) {
    }

    /** The name as text when it is valid UTF-8, else null. */
    public String nameUtf8() {
        return strictUtf8(name);
    }

    /** The link target as text when it is valid UTF-8, else null. */
    public String linkNameUtf8() {
        return strictUtf8(linkName);
    }

    public boolean isSparse() {
        return sparse != null;
    }

    static String strictUtf8(byte[] bytes) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }
}
