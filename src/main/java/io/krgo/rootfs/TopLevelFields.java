package io.krgo.rootfs;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * Reads named top-level fields of a small JSON object (krgo's own metadata files) without a JSON library:
 * the up-to-date check runs before anything else needs Jackson, whose class initialisation alone costs
 * more than the rest of that check. Strict JSON (RFC 8259) is accepted; anything else is an IOException.
 */
final class TopLevelFields {
    /** Deeper nesting is refused (as an IOException, not a StackOverflowError). */
    private static final int MAX_DEPTH = 64;
    private final String text;
    private int pos;
    private int depth;

    private TopLevelFields(String text) {
        this.text = text;
    }

    /**
     * The values of the top-level fields {@code names} of the JSON object {@code json}: a string's value,
     * an array's length (as text), null for any other value and for an absent field.
     */
    static String[] read(byte[] json, String... names) throws IOException {
        TopLevelFields p = new TopLevelFields(new String(json, StandardCharsets.UTF_8));
        String[] values = new String[names.length];
        p.skipSpace();
        p.expect('{');
        p.skipSpace();
        if (p.peek() == '}') {
            p.pos++;
        } else {
            while (true) {
                p.skipSpace();
                String name = p.string();
                p.skipSpace();
                p.expect(':');
                p.skipSpace();
                int at = indexOf(names, name);
                char c = p.peek();
                if (c == '"') {
                    String value = p.string();
                    if (at >= 0) {
                        values[at] = value;
                    }
                } else if (c == '[') {
                    int n = p.array();
                    if (at >= 0) {
                        values[at] = Integer.toString(n);
                    }
                } else {
                    p.value();
                }
                p.skipSpace();
                if (p.peek() == ',') {
                    p.pos++;
                    continue;
                }
                p.expect('}');
                break;
            }
        }
        p.skipSpace();
        if (p.pos != p.text.length()) {
            throw new IOException("trailing characters after the JSON object");
        }
        return values;
    }

    /** {@code s} as a JSON string literal. */
    static String quote(String s) {
        StringBuilder b = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                b.append('\\').append(c);
            } else if (c < 0x20) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.append('"').toString();
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private static int hexDigit(char c) {
        if (isDigit(c)) {
            return c - '0';
        }
        char lower = (char) (c | 0x20);
        return lower >= 'a' && lower <= 'f' ? lower - 'a' + 10 : -1;
    }

    private static int indexOf(String[] names, String name) {
        for (int i = 0; i < names.length; i++) {
            if (names[i].equals(name)) {
                return i;
            }
        }
        return -1;
    }

    private char peek() throws IOException {
        if (pos >= text.length()) {
            throw new IOException("unexpected end of JSON");
        }
        return text.charAt(pos);
    }

    private void expect(char c) throws IOException {
        if (peek() != c) {
            throw new IOException("expected '" + c + "' at offset " + pos);
        }
        pos++;
    }

    private void skipSpace() {
        while (pos < text.length()) {
            char c = text.charAt(pos);
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                return;
            }
            pos++;
        }
    }

    /** Any JSON value, skipped. */
    private void value() throws IOException {
        if (++depth > MAX_DEPTH) {
            throw new IOException("JSON nested too deeply");
        }
        char c = peek();
        switch (c) {
            case '"' -> string();
            case '[' -> array();
            case '{' -> object();
            case 't' -> literal("true");
            case 'f' -> literal("false");
            case 'n' -> literal("null");
            default -> number();
        }
        depth--;
    }

    private void literal(String word) throws IOException {
        if (!text.startsWith(word, pos)) {
            throw new IOException("invalid literal at offset " + pos);
        }
        pos += word.length();
    }

    private void number() throws IOException {
        int start = pos;
        if (pos < text.length() && text.charAt(pos) == '-') {
            pos++;
        }
        int digits = pos;
        while (pos < text.length() && isDigit(text.charAt(pos))) {
            pos++;
        }
        if (pos == digits || (text.charAt(digits) == '0' && pos - digits > 1)) {
            throw new IOException("invalid number at offset " + start);
        }
        if (pos < text.length() && text.charAt(pos) == '.') {
            pos++;
            requireDigits(start);
        }
        if (pos < text.length() && (text.charAt(pos) == 'e' || text.charAt(pos) == 'E')) {
            pos++;
            if (pos < text.length() && (text.charAt(pos) == '+' || text.charAt(pos) == '-')) {
                pos++;
            }
            requireDigits(start);
        }
    }

    private void requireDigits(int start) throws IOException {
        int from = pos;
        while (pos < text.length() && isDigit(text.charAt(pos))) {
            pos++;
        }
        if (pos == from) {
            throw new IOException("invalid number at offset " + start);
        }
    }

    /** An array, skipped; returns its number of elements. */
    private int array() throws IOException {
        expect('[');
        skipSpace();
        if (peek() == ']') {
            pos++;
            return 0;
        }
        int n = 0;
        while (true) {
            skipSpace();
            value();
            n++;
            skipSpace();
            if (peek() == ',') {
                pos++;
                continue;
            }
            expect(']');
            return n;
        }
    }

    private void object() throws IOException {
        expect('{');
        skipSpace();
        if (peek() == '}') {
            pos++;
            return;
        }
        while (true) {
            skipSpace();
            string();
            skipSpace();
            expect(':');
            skipSpace();
            value();
            skipSpace();
            if (peek() == ',') {
                pos++;
                continue;
            }
            expect('}');
            return;
        }
    }

    private String string() throws IOException {
        expect('"');
        StringBuilder b = new StringBuilder();
        while (true) {
            char c = peek();
            pos++;
            if (c == '"') {
                return b.toString();
            }
            if (c < 0x20) {
                throw new IOException("control character in a JSON string at offset " + (pos - 1));
            }
            if (c != '\\') {
                b.append(c);
                continue;
            }
            char e = peek();
            pos++;
            switch (e) {
                case '"', '\\', '/' -> b.append(e);
                case 'b' -> b.append('\b');
                case 'f' -> b.append('\f');
                case 'n' -> b.append('\n');
                case 'r' -> b.append('\r');
                case 't' -> b.append('\t');
                case 'u' -> {
                    if (pos + 4 > text.length()) {
                        throw new IOException("unexpected end of JSON");
                    }
                    int code = 0;
                    for (int i = 0; i < 4; i++) {
                        int digit = hexDigit(text.charAt(pos + i));
                        if (digit < 0) {
                            throw new IOException("invalid \\u escape at offset " + pos);
                        }
                        code = code * 16 + digit;
                    }
                    b.append((char) code);
                    pos += 4;
                }
                default -> throw new IOException("invalid escape at offset " + (pos - 1));
            }
        }
    }
}
