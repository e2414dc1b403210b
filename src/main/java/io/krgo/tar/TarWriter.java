package io.krgo.tar;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A minimal deterministic tar writer (ustar + PAX). Written by hand rather than with Commons Compress
 * because PAX values must be raw bytes (binary xattrs such as security.capability) and every header
 * field must be fully determined by the input (empty uname/gname, PAX record order fixed).
 */
public final class TarWriter implements AutoCloseable {
    public static final byte REG = '0', LINK = '1', SYMLINK = '2', CHAR = '3', BLOCK = '4', DIR = '5', FIFO = '6';
    private static final long MAX_OCTAL_7 = 07777777L;
    private static final long MAX_OCTAL_11 = 077777777777L;

    private final OutputStream out;
    private final byte[] zeros = new byte[1024];

    public TarWriter(OutputStream out) {
        this.out = out;
    }

    /** One entry's header fields; {@code name} has no leading '/' and directories end without '/'. */
    public record Header(String name, byte type, int mode, long uid, long gid, long size, long mtimeNanos,
                         String linkName, int devMajor, int devMinor, Map<String, byte[]> xattrs) {
    }

    public void writeHeader(Header h) throws IOException {
        String name = h.type == DIR && !h.name.endsWith("/") ? h.name + "/" : h.name;
        byte[] nameBytes = name.getBytes(StandardCharsets.UTF_8);
        byte[] linkBytes = h.linkName == null ? new byte[0] : h.linkName.getBytes(StandardCharsets.UTF_8);
        Map<String, byte[]> pax = new LinkedHashMap<>();
        if (nameBytes.length > 100 || !ascii(nameBytes)) {
            pax.put("path", nameBytes);
        }
        if (linkBytes.length > 100 || !ascii(linkBytes)) {
            pax.put("linkpath", linkBytes);
        }
        if (h.uid > MAX_OCTAL_7) {
            pax.put("uid", Long.toString(h.uid).getBytes(StandardCharsets.US_ASCII));
        }
        if (h.gid > MAX_OCTAL_7) {
            pax.put("gid", Long.toString(h.gid).getBytes(StandardCharsets.US_ASCII));
        }
        if (h.size > MAX_OCTAL_11) {
            pax.put("size", Long.toString(h.size).getBytes(StandardCharsets.US_ASCII));
        }
        long sec = Math.floorDiv(h.mtimeNanos, 1_000_000_000L);
        long ns = Math.floorMod(h.mtimeNanos, 1_000_000_000L);
        if (ns != 0 || sec < 0 || sec > MAX_OCTAL_11) {
            pax.put("mtime", paxTime(h.mtimeNanos).getBytes(StandardCharsets.US_ASCII));
        }
        for (Map.Entry<String, byte[]> x : h.xattrs.entrySet()) {
            pax.put("SCHILY.xattr." + x.getKey(), x.getValue());
        }
        if (!pax.isEmpty()) {
            byte[] body = paxBody(pax);
            String paxName = "PaxHeaders.0/" + (name.length() > 80 ? "entry" : asciiOnly(name));
            writeRawHeader(paxName.getBytes(StandardCharsets.US_ASCII), (byte) 'x', 0644, 0, 0, body.length, 0,
                    new byte[0], 0, 0);
            out.write(body);
            pad(body.length);
        }
        writeRawHeader(nameBytes, h.type, h.mode, Math.min(h.uid, MAX_OCTAL_7), Math.min(h.gid, MAX_OCTAL_7),
                h.size > MAX_OCTAL_11 ? 0 : h.size, Math.max(0, Math.min(sec, MAX_OCTAL_11)), linkBytes,
                h.devMajor, h.devMinor);
    }

    /** Copies exactly {@code size} bytes of content (the size the header declared) and pads the block. */
    public void writeContent(InputStream in, long size) throws IOException {
        byte[] buf = new byte[65536];
        long left = size;
        while (left > 0) {
            int n = in.read(buf, 0, (int) Math.min(buf.length, left));
            if (n < 0) {
                throw new IOException("file shrank while being written to the layer");
            }
            out.write(buf, 0, n);
            left -= n;
        }
        pad(size);
    }

    @Override
    public void close() throws IOException {
        out.write(zeros, 0, 1024);
        out.close();
    }

    /**
     * A decimal number of seconds with nine fraction digits, signed as a whole ("-1.500000000" is 1.5 s
     * before the epoch, as GNU tar writes it). Zero-padded by hand: String.format's first use loads the
     * locale machinery (~10 ms before the first block of a push), and it is slow per entry.
     */
    static String paxTime(long nanos) {
        long abs = Math.abs(nanos);
        String frac = Long.toString(abs % 1_000_000_000L);
        return (nanos < 0 ? "-" : "") + abs / 1_000_000_000L + "." + "000000000".substring(frac.length()) + frac;
    }

    private void pad(long size) throws IOException {
        int rem = (int) (size % 512);
        if (rem != 0) {
            out.write(zeros, 0, 512 - rem);
        }
    }

    private void writeRawHeader(byte[] name, byte type, int mode, long uid, long gid, long size, long mtime,
                                byte[] link, int major, int minor) throws IOException {
        byte[] b = new byte[512];
        System.arraycopy(name, 0, b, 0, Math.min(name.length, 100));
        octal(b, 100, 8, mode);
        octal(b, 108, 8, uid);
        octal(b, 116, 8, gid);
        octal(b, 124, 12, size);
        octal(b, 136, 12, mtime);
        b[156] = type;
        System.arraycopy(link, 0, b, 157, Math.min(link.length, 100));
        System.arraycopy("ustar\u000000".getBytes(StandardCharsets.US_ASCII), 0, b, 257, 8);
        if (type == CHAR || type == BLOCK) {
            octal(b, 329, 8, major);
            octal(b, 337, 8, minor);
        }
        for (int i = 148; i < 156; i++) {
            b[i] = ' ';
        }
        long sum = 0;
        for (byte x : b) {
            sum += x & 0xff;
        }
        octal(b, 148, 7, sum);
        b[155] = ' ';
        out.write(b);
    }

    private static void octal(byte[] b, int off, int len, long v) {
        String s = Long.toOctalString(v);
        int digits = len - 1;
        if (s.length() > digits) {
            throw new IllegalArgumentException("value too large for tar header: " + v);
        }
        for (int i = 0; i < digits - s.length(); i++) {
            b[off + i] = '0';
        }
        System.arraycopy(s.getBytes(StandardCharsets.US_ASCII), 0, b, off + digits - s.length(), s.length());
        b[off + digits] = 0;
    }

    private static byte[] paxBody(Map<String, byte[]> records) {
        java.io.ByteArrayOutputStream body = new java.io.ByteArrayOutputStream();
        for (Map.Entry<String, byte[]> r : records.entrySet()) {
            byte[] key = r.getKey().getBytes(StandardCharsets.UTF_8);
            int base = key.length + r.getValue().length + 3; // ' ', '=', '\n'
            int len = base + Integer.toString(base).length();
            if (Integer.toString(len).length() != Integer.toString(base).length()) {
                len = base + Integer.toString(len).length();
            }
            body.writeBytes((len + " ").getBytes(StandardCharsets.US_ASCII));
            body.writeBytes(key);
            body.write('=');
            body.writeBytes(r.getValue());
            body.write('\n');
        }
        return body.toByteArray();
    }

    private static boolean ascii(byte[] b) {
        for (byte x : b) {
            if (x < 0x20 || x == 0x7f) {
                return false; // negative = non-ASCII; control chars such as '\n' also go to PAX
            }
        }
        return true;
    }

    private static String asciiOnly(String s) {
        StringBuilder sb = new StringBuilder();
        for (char c : s.toCharArray()) {
            sb.append(c >= 0x20 && c < 0x7f ? c : '_');
        }
        return sb.toString();
    }
}
