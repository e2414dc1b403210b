package io.krgo.tar;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/** Hand-made tar blocks for the cases no writer makes: a ustar header with a correct checksum, PAX data. */
final class TarBytes {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    /** A ustar header; {@code tweak} edits the block before the checksum is computed. */
    static byte[] header(byte[] name, byte type, long size, Consumer<byte[]> tweak) {
        byte[] b = new byte[512];
        System.arraycopy(name, 0, b, 0, Math.min(name.length, 100));
        octal(b, 100, 8, 0644);
        octal(b, 108, 8, 0);
        octal(b, 116, 8, 0);
        octal(b, 124, 12, size);
        octal(b, 136, 12, 1700000000L);
        b[156] = type;
        System.arraycopy("ustar\00000".getBytes(StandardCharsets.ISO_8859_1), 0, b, 257, 8);
        tweak.accept(b);
        checksum(b);
        return b;
    }

    static byte[] header(String name, char type, long size) {
        return header(name.getBytes(StandardCharsets.UTF_8), (byte) type, size, b -> { });
    }

    static void octal(byte[] b, int off, int len, long v) {
        String s = String.format("%0" + (len - 1) + "o", v);
        System.arraycopy(s.getBytes(StandardCharsets.US_ASCII), 0, b, off, len - 1);
        b[off + len - 1] = 0;
    }

    static void checksum(byte[] b) {
        java.util.Arrays.fill(b, 148, 156, (byte) ' ');
        int sum = 0;
        for (byte x : b) {
            sum += x & 0xff;
        }
        String s = String.format("%06o", sum);
        System.arraycopy(s.getBytes(StandardCharsets.US_ASCII), 0, b, 148, 6);
        b[154] = 0;
    }

    /** PAX data from "key=value" strings, each record's length computed. */
    static byte[] pax(String... keyValues) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        for (String kv : keyValues) {
            byte[] body = (" " + kv + "\n").getBytes(StandardCharsets.UTF_8);
            int len = body.length + 1;
            while (Integer.toString(len).length() + body.length != len) {
                len++;
            }
            o.writeBytes((len + new String(body, StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8));
        }
        return o.toByteArray();
    }

    TarBytes block(byte[] header) {
        out.writeBytes(header);
        return this;
    }

    /** An entry's header and its data padded to 512. */
    TarBytes entry(byte[] header, byte[] data) {
        out.writeBytes(header);
        return data(data);
    }

    TarBytes data(byte[] data) {
        out.writeBytes(data);
        out.writeBytes(new byte[(512 - data.length % 512) % 512]);
        return this;
    }

    TarBytes file(String name, String content) {
        byte[] data = content.getBytes(StandardCharsets.UTF_8);
        return entry(header(name, '0', data.length), data);
    }

    /** A PAX 'x' entry with the given records, then nothing: the caller adds the entry they describe. */
    TarBytes paxEntry(char type, byte[] records) {
        return entry(header("PaxHeaders/x", type, records.length), records);
    }

    TarBytes end() {
        out.writeBytes(new byte[1024]);
        return this;
    }

    byte[] bytes() {
        return out.toByteArray();
    }
}
