package io.krgo.tar;

import io.krgo.error.UnsafeImageException;

import java.util.Arrays;

/**
 * Turns a POSIX.1e text ACL as star, bsdtar and GNU tar store it ({@code SCHILY.acl.access} or
 * {@code SCHILY.acl.default}: {@code user::rwx,user:1000:r-x,group::r-x,mask::r-x,other::r--}, entries may
 * carry a 4th field with the numeric id, {@code user:alice:rw-:1000}) into the value of Linux's
 * {@code system.posix_acl_access} / {@code system.posix_acl_default} xattr: a little-endian u32 version 2, then
 * per entry u16 tag, u16 permissions, u32 id, sorted by tag then id as the kernel requires.
 */
public final class AclText {
    static final int USER_OBJ = 0x01, USER = 0x02, GROUP_OBJ = 0x04, GROUP = 0x08, MASK = 0x10, OTHER = 0x20;
    private static final long UNDEFINED_ID = 0xFFFFFFFFL;
    private static final int VERSION = 2;

    private AclText() {
    }

    /** Looks up a user or group name (of the image, not of this host): its id, or -1 when unknown. */
    @FunctionalInterface
    public interface Names {
        long id(String name);
    }

    /**
     * The xattr value for {@code text}. A named entry is resolved through its numeric id (the 4th field, else
     * a numeric qualifier); an entry naming a user or group without one (GNU tar writes names only) cannot be
     * resolved and is an {@link UnknownName}; a malformed entry is an UnsafeImageException. A missing mask, needed when named
     * entries exist, is computed as setfacl does (the union of the group class's permissions). Null for an
     * empty text.
     */
    public static byte[] toXattr(String text) {
        return toXattr(text, name -> -1, name -> -1);
    }

    /** As {@link #toXattr(String)}, resolving name-only qualifiers through {@code users} and {@code groups}. */
    public static byte[] toXattr(String text, Names users, Names groups) {
        String[] parts = text.split("[,\n]");
        long[] entries = new long[parts.length]; // tag << 48 | id << 16 | perm: sorts by tag, then id
        int n = 0;
        for (String raw : parts) {
            int hash = raw.indexOf('#');
            String entry = (hash >= 0 ? raw.substring(0, hash) : raw).strip();
            if (!entry.isEmpty()) {
                entries[n++] = parse(entry, users, groups);
            }
        }
        if (n == 0) {
            return null;
        }
        entries = Arrays.copyOf(entries, n);
        Arrays.sort(entries);
        int present = 0;
        int groupClass = 0;
        for (int i = 0; i < n; i++) {
            int tag = (int) (entries[i] >>> 48);
            if (i > 0 && entries[i] >>> 16 == entries[i - 1] >>> 16) {
                throw bad(text, "an entry appears twice");
            }
            present |= tag;
            if (tag == USER || tag == GROUP_OBJ || tag == GROUP) {
                groupClass |= (int) (entries[i] & 7);
            }
        }
        if ((present & (USER_OBJ | GROUP_OBJ | OTHER)) != (USER_OBJ | GROUP_OBJ | OTHER)) {
            throw bad(text, "user::, group:: and other:: entries are required");
        }
        if ((present & (USER | GROUP)) != 0 && (present & MASK) == 0) {
            entries = Arrays.copyOf(entries, n + 1);
            entries[n++] = (long) MASK << 48 | UNDEFINED_ID << 16 | groupClass;
            Arrays.sort(entries);
        }
        byte[] out = new byte[4 + 8 * n];
        le(out, 0, VERSION, 4);
        for (int i = 0; i < n; i++) {
            le(out, 4 + 8 * i, entries[i] >>> 48, 2);
            le(out, 6 + 8 * i, entries[i] & 0xffff, 2);
            le(out, 8 + 8 * i, entries[i] >>> 16 & UNDEFINED_ID, 4);
        }
        return out;
    }

    private static long parse(String entry, Names users, Names groups) {
        String[] f = entry.split(":", -1);
        int at = f[0].equals("default") || f[0].equals("d") ? 1 : 0; // getfacl's combined form
        int fields = f.length - at;
        if (fields < 2 || fields > 4) {
            throw bad(entry, "not tag:qualifier:permissions");
        }
        String tagText = f[at];
        boolean objectOnly = tagText.equals("mask") || tagText.equals("m") || tagText.equals("other") || tagText.equals("o");
        String qualifier = fields == 2 && objectOnly ? "" : f[at + 1];
        String perms = fields == 2 ? f[at + 1] : f[at + 2];
        if (fields == 2 && !objectOnly) {
            throw bad(entry, "not tag:qualifier:permissions");
        }
        int tag = switch (tagText) {
            case "user", "u" -> qualifier.isEmpty() ? USER_OBJ : USER;
            case "group", "g" -> qualifier.isEmpty() ? GROUP_OBJ : GROUP;
            case "mask", "m" -> MASK;
            case "other", "o" -> OTHER;
            default -> throw bad(entry, "unknown tag '" + tagText + "'");
        };
        long id = UNDEFINED_ID;
        if (tag == USER || tag == GROUP) {
            id = id(fields == 4 ? f[at + 3] : qualifier);
            if (id < 0 && fields == 3) {
                id = (tag == USER ? users : groups).id(qualifier);
                id = id >= 0 && id < UNDEFINED_ID ? id : -1;
            }
            if (id < 0) {
                throw new UnknownName(entry, tag == USER ? "user" : "group");
            }
        } else if (!qualifier.isEmpty() || fields == 4) {
            throw bad(entry, "a qualifier where none belongs");
        }
        return (long) tag << 48 | id << 16 | permissions(perms, entry);
    }

    private static long id(String s) {
        if (s.isEmpty() || s.length() > 10) {
            return -1;
        }
        long v = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            v = v * 10 + (c - '0');
        }
        return v < UNDEFINED_ID ? v : -1;
    }

    private static int permissions(String s, String entry) {
        int p = 0;
        for (int i = 0; i < s.length(); i++) {
            switch (s.charAt(i)) {
                case 'r' -> p |= 4;
                case 'w' -> p |= 2;
                case 'x' -> p |= 1;
                case '-' -> { }
                default -> throw bad(entry, "bad permissions '" + s + "'");
            }
        }
        return p;
    }

    private static void le(byte[] b, int off, long v, int bytes) {
        for (int i = 0; i < bytes; i++) {
            b[off + i] = (byte) (v >>> (8 * i));
        }
    }

    /** An entry names a user or group that neither carries a numeric id nor resolves: not malformed, unknown. */
    public static final class UnknownName extends RuntimeException {
        UnknownName(String entry, String kind) {
            super("ACL '" + entry + "' names a " + kind + " that has no numeric id and that the image does not know");
        }
    }

    private static UnsafeImageException bad(String entry, String problem) {
        String shown = Printable.of(entry.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        return new UnsafeImageException("ACL '" + shown + "': " + problem);
    }
}
