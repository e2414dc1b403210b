package io.krgo.tar;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * PAX extended header data: "LENGTH KEY=VALUE\n" records, parsed in order (GNU sparse 0.0 repeats keys,
 * so order matters), values kept as raw bytes; and the decimal numbers and times PAX values hold.
 */
final class PaxRecords {
    /** One record; the key as ISO-8859-1 text (byte for byte), the value untouched. */
    record Record(String key, byte[] value) {
    }

    private PaxRecords() {
    }

    static List<Record> parse(byte[] data, int length) throws TarFormatException {
        List<Record> records = new ArrayList<>();
        int pos = 0;
        while (pos < length) {
            if (data[pos] == 0) {
                // Some writers pad the data with NULs; nothing follows them.
                for (int i = pos; i < length; i++) {
                    if (data[i] != 0) {
                        throw new TarFormatException("bad PAX record at offset " + pos + ": NUL before its length");
                    }
                }
                break;
            }
            int i = pos;
            long recordLength = 0;
            while (i < length && data[i] >= '0' && data[i] <= '9') {
                recordLength = recordLength * 10 + (data[i] - '0');
                if (recordLength > length) {
                    throw new TarFormatException("bad PAX record at offset " + pos + ": length beyond the data");
                }
                i++;
            }
            if (i == pos || i >= length || data[i] != ' ') {
                throw new TarFormatException("bad PAX record at offset " + pos + ": length is not a number");
            }
            if (recordLength == 0) {
                throw new TarFormatException("bad PAX record at offset " + pos + ": length 0");
            }
            int end = pos + (int) recordLength; // exclusive; the '\n' is at end - 1
            if (end > length || recordLength > length) {
                throw new TarFormatException("bad PAX record at offset " + pos + ": length beyond the data");
            }
            int keyStart = i + 1;
            if (end - 1 < keyStart || data[end - 1] != '\n') {
                throw new TarFormatException("bad PAX record at offset " + pos + ": length does not end at a newline");
            }
            int eq = keyStart;
            while (eq < end - 1 && data[eq] != '=') {
                eq++;
            }
            if (eq >= end - 1) {
                throw new TarFormatException("bad PAX record at offset " + pos + ": no '='");
            }
            if (eq == keyStart) {
                throw new TarFormatException("bad PAX record at offset " + pos + ": empty key");
            }
            String key = new String(data, keyStart, eq - keyStart, StandardCharsets.ISO_8859_1);
            byte[] value = new byte[end - 1 - (eq + 1)];
            System.arraycopy(data, eq + 1, value, 0, value.length);
            records.add(new Record(key, value));
            pos = end;
        }
        return records;
    }

    /** A non-negative decimal number (size, uid, gid, sparse offsets). */
    static long decimal(byte[] v, String key) throws TarFormatException {
        return decimal(v, 0, v.length, key);
    }

    static long decimal(byte[] v, int off, int len, String key) throws TarFormatException {
        if (len == 0) {
            throw new TarFormatException("PAX " + key + " is empty");
        }
        long x = 0;
        for (int i = off; i < off + len; i++) {
            int d = v[i] - '0';
            if (d < 0 || d > 9) {
                throw new TarFormatException("PAX " + key + " is not a number: '" + Printable.of(v, off, len) + "'");
            }
            if (x > (Long.MAX_VALUE - d) / 10) {
                throw new TarFormatException("PAX " + key + " is out of range: '" + Printable.of(v, off, len) + "'");
            }
            x = x * 10 + d;
        }
        return x;
    }

    /** A decimal value that must fit an int (device numbers). */
    static int smallDecimal(byte[] v, String key) throws TarFormatException {
        long x = decimal(v, key);
        if (x > Integer.MAX_VALUE) {
            throw new TarFormatException("PAX " + key + " is out of range: " + x);
        }
        return (int) x;
    }

    /**
     * A PAX time: optional sign, seconds, optional fraction; nanoseconds beyond 9 digits are truncated and
     * the result floors, so "-0.5" is (-1 s, 500000000 ns).
     */
    static TarTime time(byte[] v, String key) throws TarFormatException {
        int i = 0;
        boolean negative = false;
        if (i < v.length && (v[i] == '-' || v[i] == '+')) {
            negative = v[i] == '-';
            i++;
        }
        int dot = i;
        while (dot < v.length && v[dot] != '.') {
            dot++;
        }
        long seconds = decimal(v, i, dot - i, key);
        int nanos = 0;
        int scale = 100_000_000;
        for (int j = dot + 1; j < v.length; j++) {
            int d = v[j] - '0';
            if (d < 0 || d > 9) {
                throw new TarFormatException("PAX " + key + " is not a time: '" + Printable.of(v) + "'");
            }
            nanos += d * scale;
            scale /= 10;
        }
        if (!negative) {
            return new TarTime(seconds, nanos);
        }
        if (nanos == 0) {
            return new TarTime(-seconds, 0);
        }
        if (seconds == Long.MAX_VALUE) {
            throw new TarFormatException("PAX " + key + " is out of range: '" + Printable.of(v) + "'");
        }
        return new TarTime(-seconds - 1, 1_000_000_000 - nanos);
    }

    /** RFC 3986 percent-decoding ('+' stays '+'), for libarchive's xattr names. */
    static byte[] percentDecode(byte[] s, int off) throws TarFormatException {
        byte[] out = new byte[s.length - off];
        int n = 0;
        for (int i = off; i < s.length; i++) {
            if (s[i] == '%') {
                int hi = i + 2 < s.length ? Character.digit(s[i + 1], 16) : -1;
                int lo = hi >= 0 ? Character.digit(s[i + 2], 16) : -1;
                if (lo < 0) {
                    throw new TarFormatException("bad percent-encoding in PAX key");
                }
                out[n++] = (byte) (hi << 4 | lo);
                i += 2;
            } else {
                out[n++] = s[i];
            }
        }
        return java.util.Arrays.copyOf(out, n);
    }
}
