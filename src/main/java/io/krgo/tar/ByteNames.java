package io.krgo.tar;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * A Linux file name is bytes; krgo handles names as Strings. Valid UTF-8 maps to its text; every byte that
 * is not part of valid UTF-8 becomes one lone surrogate U+DC80..U+DCFF (Python's "surrogateescape"), which
 * valid UTF-8 never yields, so every name has exactly one String and back. The JDK cannot make a Path of
 * such a String ({@code Path.of} refuses unpaired surrogates), but keeps raw bytes in Paths it lists and in
 * Paths made from {@code file:} URIs: {@link #resolve} and {@link #relative} cross over that way, only for
 * names that need it.
 */
public final class ByteNames {
    private static final char ESCAPE_BASE = 0xDC00;

    private ByteNames() {
    }

    /** The String of a name's bytes: UTF-8 text, each byte outside valid UTF-8 as U+DC80+. */
    public static String decode(byte[] name) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(name)).toString();
        } catch (CharacterCodingException notUtf8) {
            return decodeEscaping(name);
        }
    }

    private static String decodeEscaping(byte[] b) {
        StringBuilder sb = new StringBuilder(b.length);
        int i = 0;
        while (i < b.length) {
            int len = sequenceLength(b, i);
            if (len == 0) {
                sb.append((char) (ESCAPE_BASE | (b[i] & 0xff)));
                i++;
            } else {
                sb.append(new String(b, i, len, StandardCharsets.UTF_8));
                i += len;
            }
        }
        return sb.toString();
    }

    /** The length of the valid UTF-8 sequence at {@code i} (shortest form, no surrogates), or 0. */
    private static int sequenceLength(byte[] b, int i) {
        int c = b[i] & 0xff;
        if (c < 0x80) {
            return 1;
        }
        int len;
        int min;
        if (c >= 0xc2 && c <= 0xdf) {
            len = 2;
            min = 0x80;
        } else if (c >= 0xe0 && c <= 0xef) {
            len = 3;
            min = 0x800;
        } else if (c >= 0xf0 && c <= 0xf4) {
            len = 4;
            min = 0x10000;
        } else {
            return 0;
        }
        if (i + len > b.length) {
            return 0;
        }
        int cp = c & (0xff >> (len + 1));
        for (int k = 1; k < len; k++) {
            int x = b[i + k] & 0xff;
            if ((x & 0xc0) != 0x80) {
                return 0;
            }
            cp = cp << 6 | (x & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
            return 0;
        }
        return len;
    }

    /** True when {@code s} holds an escaped byte (so it cannot travel as a JDK path string). */
    public static boolean hasEscapes(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (isEscapedByte(s, i)) {
                return true;
            }
        }
        return false;
    }

    /** True when {@code s.charAt(i)} stands for one byte of a name that is not UTF-8 (see {@link #decode}). */
    public static boolean isEscapedByte(String s, int i) {
        char c = s.charAt(i);
        return c >= 0xDC80 && c <= 0xDCFF && (i == 0 || !Character.isHighSurrogate(s.charAt(i - 1)));
    }

    /** The bytes of a name String ({@link #decode}'s inverse). */
    public static byte[] encode(String s) {
        if (!hasEscapes(s)) {
            return s.getBytes(StandardCharsets.UTF_8);
        }
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(s.length() + 8);
        int start = 0;
        for (int i = 0; i < s.length(); i++) {
            if (isEscapedByte(s, i)) {
                out.writeBytes(s.substring(start, i).getBytes(StandardCharsets.UTF_8));
                out.write(s.charAt(i) & 0xff);
                start = i + 1;
            }
        }
        out.writeBytes(s.substring(start).getBytes(StandardCharsets.UTF_8));
        return out.toByteArray();
    }

    /** {@code root.resolve(rel)}, also for a {@code rel} holding escaped bytes. */
    public static Path resolve(Path root, String rel) {
        if (!hasEscapes(rel)) {
            return root.resolve(rel);
        }
        byte[] base = bytes(root.toAbsolutePath());
        byte[] tail = encode(rel);
        byte[] all = new byte[base.length + 1 + tail.length];
        System.arraycopy(base, 0, all, 0, base.length);
        all[base.length] = '/';
        System.arraycopy(tail, 0, all, base.length + 1, tail.length);
        return ofAbsolute(all);
    }

    /** A relative or absolute Path of a name String (a symlink's target), escaped bytes included. */
    public static Path path(String name) {
        if (!hasEscapes(name)) {
            return Path.of(name);
        }
        byte[] b = encode(name);
        if (b.length > 0 && b[0] == '/') {
            return ofAbsolute(b);
        }
        byte[] abs = new byte[b.length + 1];
        abs[0] = '/';
        System.arraycopy(b, 0, abs, 1, b.length);
        return Path.of("/").relativize(ofAbsolute(abs));
    }

    /** The name String of a Path's bytes, exact also where its toString() would lose bytes. */
    public static String name(Path p) {
        String s = p.toString();
        if (s.indexOf('\uFFFD') < 0) {
            return s;
        }
        if (p.isAbsolute()) {
            return decode(bytes(p));
        }
        String abs = decode(bytes(Path.of("/").resolve(p)));
        return abs.substring(1);
    }

    /** {@code root.relativize(p).toString()}, exact for names that are not UTF-8. */
    public static String relative(Path root, Path p) {
        return name(root.relativize(p));
    }

    /** The bytes of an absolute path, as the kernel sees them. */
    public static byte[] bytes(Path absolute) {
        String s = absolute.toString();
        if (s.indexOf('\uFFFD') < 0) {
            return s.getBytes(StandardCharsets.UTF_8);
        }
        String raw = absolute.toUri().getRawPath(); // the JDK percent-encodes the path's own bytes
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(raw.length());
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c == '%' && i + 2 < raw.length()) {
                out.write(Integer.parseInt(raw.substring(i + 1, i + 3), 16));
                i += 2;
            } else {
                out.writeBytes(String.valueOf(c).getBytes(StandardCharsets.UTF_8));
            }
        }
        byte[] b = out.toByteArray();
        // A directory's URI ends in '/', which the path itself does not.
        return b.length > 1 && b[b.length - 1] == '/' ? java.util.Arrays.copyOf(b, b.length - 1) : b;
    }

    private static Path ofAbsolute(byte[] path) {
        StringBuilder uri = new StringBuilder("file://");
        for (byte x : path) {
            int c = x & 0xff;
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || "/-._~".indexOf(c) >= 0) {
                uri.append((char) c);
            } else {
                uri.append('%').append(Character.forDigit(c >> 4, 16)).append(Character.forDigit(c & 15, 16));
            }
        }
        try {
            return Path.of(new URI(uri.toString()));
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("cannot name " + uri, e);
        }
    }
}
