package io.krgo.tar;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * The one-line printable form of raw name bytes for messages: valid UTF-8 shown as text, control
 * characters and bytes that are not UTF-8 as {@code \xNN}, so a hostile name cannot forge output lines.
 */
public final class Printable {
    private static final int MAX_CHARS = 300;

    private Printable() {
    }

    public static String of(byte[] bytes) {
        return of(bytes, 0, bytes.length);
    }

    public static String of(byte[] bytes, int off, int len) {
        StringBuilder out = new StringBuilder(Math.min(len, MAX_CHARS) + 8);
        CharsetDecoder dec = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes, off, len);
        CharBuffer chars = CharBuffer.allocate(64);
        while (in.hasRemaining() && out.length() < MAX_CHARS) {
            CoderResult r = dec.decode(in, chars, true);
            chars.flip();
            while (chars.hasRemaining()) {
                char c = chars.get();
                if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0)) {
                    out.append(String.format("\\x%02x", (int) c));
                } else if (c == '\u2028' || c == '\u2029') { // line and paragraph separators end lines too
                    out.append(String.format("\\u%04x", (int) c));
                } else {
                    out.append(c);
                }
            }
            chars.clear();
            if (r.isError()) {
                for (int i = 0; i < r.length(); i++) {
                    out.append(String.format("\\x%02x", in.get() & 0xff));
                }
            }
        }
        if (in.hasRemaining() || out.length() > MAX_CHARS) {
            out.setLength(Math.min(out.length(), MAX_CHARS));
            out.append("...");
        }
        return out.toString();
    }

    /** A type flag byte as it is printed in messages: the character, or {@code \xNN}. */
    static String typeFlag(byte flag) {
        return flag >= 0x21 && flag < 0x7f ? String.valueOf((char) flag) : String.format("\\x%02x", flag & 0xff);
    }
}
