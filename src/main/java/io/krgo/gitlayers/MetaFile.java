package io.krgo.gitlayers;

import io.krgo.error.FilesystemException;
import io.krgo.layer.FileInfo;
import io.krgo.tar.ByteNames;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Base64;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The per-layer metadata file: the full tree state after a layer, one line per path, sorted by path,
 * tab-separated: path, type, mode (octal), uid, gid, size, mtime (ns), dev major:minor, git blob id,
 * symlink target, xattrs (base64 name:base64 value, comma-separated), st_dev, inode, nlink, ctime (ns).
 * Paths and targets escape backslash, tab, CR and LF. Inode + st_dev form the hardlink group.
 */
final class MetaFile {
    static final String HEADER = "#krgo-meta v1";

    private MetaFile() {
    }

    static void write(Path file, SortedMap<String, Recorded> state) {
        try {
            Files.createDirectories(file.getParent());
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            try (BufferedWriter w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
                w.write(HEADER);
                w.write('\n');
                for (Recorded r : state.values()) {
                    FileInfo f = r.info();
                    StringBuilder sb = new StringBuilder(128);
                    sb.append(escape(f.path())).append('\t').append(f.type().code).append('\t')
                            .append(Integer.toOctalString(f.mode())).append('\t').append(f.uid()).append('\t')
                            .append(f.gid()).append('\t').append(f.size()).append('\t').append(f.mtime()).append('\t')
                            .append(f.devMajor()).append(':').append(f.devMinor()).append('\t')
                            .append(r.blob() == null ? "" : r.blob()).append('\t')
                            .append(f.linkTarget() == null ? "" : escape(f.linkTarget())).append('\t');
                    boolean first = true;
                    for (Map.Entry<String, byte[]> x : f.xattrs().entrySet()) {
                        if (!first) {
                            sb.append(',');
                        }
                        first = false;
                        sb.append(Base64.getEncoder().encodeToString(x.getKey().getBytes(StandardCharsets.UTF_8)))
                                .append(':').append(Base64.getEncoder().encodeToString(x.getValue()));
                    }
                    sb.append('\t').append(f.dev()).append('\t').append(f.ino()).append('\t').append(f.nlink())
                            .append('\t').append(f.ctime()).append('\n');
                    w.write(sb.toString());
                }
            }
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new FilesystemException("cannot write layer metadata " + file + ": " + e.getMessage(), e);
        }
    }

    static TreeMap<String, Recorded> read(Path file) {
        TreeMap<String, Recorded> out = new TreeMap<>();
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line = r.readLine();
            if (!HEADER.equals(line)) {
                throw new FilesystemException("layer metadata " + file + " is not a krgo metadata file");
            }
            while ((line = r.readLine()) != null) {
                String[] c = line.split("\t", -1);
                if (c.length != 15) {
                    throw new FilesystemException("layer metadata " + file + " is corrupt");
                }
                String[] dev = c[7].split(":");
                SortedMap<String, byte[]> xattrs = new TreeMap<>();
                if (!c[10].isEmpty()) {
                    for (String x : c[10].split(",")) {
                        int colon = x.indexOf(':');
                        xattrs.put(new String(Base64.getDecoder().decode(x.substring(0, colon)), StandardCharsets.UTF_8),
                                Base64.getDecoder().decode(x.substring(colon + 1)));
                    }
                }
                FileInfo f = new FileInfo(unescape(c[0]), FileInfo.Type.ofCode(c[1].charAt(0)),
                        Integer.parseInt(c[2], 8), Long.parseLong(c[3]), Long.parseLong(c[4]), Long.parseLong(c[5]),
                        Long.parseLong(c[6]), Integer.parseInt(dev[0]), Integer.parseInt(dev[1]),
                        c[9].isEmpty() ? null : unescape(c[9]), xattrs, Long.parseLong(c[11]),
                        Long.parseLong(c[12]), Integer.parseInt(c[13]), Long.parseLong(c[14]));
                out.put(f.path(), new Recorded(f, c[8].isEmpty() ? null : c[8]));
            }
            return out;
        } catch (IOException | RuntimeException e) {
            if (e instanceof FilesystemException fe) {
                throw fe;
            }
            throw new FilesystemException("cannot read layer metadata " + file + ": " + e.getMessage(), e);
        }
    }

    static String escape(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            switch (ch) {
                case '\\' -> sb.append("\\\\");
                case '\t' -> sb.append("\\t");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                default -> {
                    if (ByteNames.isEscapedByte(s, i)) {
                        // a byte of a name that is not UTF-8 (ByteNames): UTF-8 text cannot hold it as it is
                        sb.append("\\x").append(Character.forDigit((ch >> 4) & 15, 16)).append(Character.forDigit(ch & 15, 16));
                    } else {
                        sb.append(ch);
                    }
                }
            }
        }
        return sb.toString();
    }

    static String unescape(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            if (ch == '\\' && i + 1 < s.length()) {
                char n = s.charAt(++i);
                if (n == 'x' && i + 2 < s.length()) {
                    sb.append((char) (0xDC00 | Integer.parseInt(s.substring(i + 1, i + 3), 16)));
                    i += 2;
                    continue;
                }
                sb.append(switch (n) {
                    case 't' -> '\t';
                    case 'n' -> '\n';
                    case 'r' -> '\r';
                    default -> n;
                });
            } else {
                sb.append(ch);
            }
        }
        return sb.toString();
    }
}
