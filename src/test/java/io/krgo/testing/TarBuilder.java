package io.krgo.testing;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPOutputStream;

/**
 * Fluent writer of layer tars (PAX format, UTF-8 names) for tests. Names are written exactly as given,
 * so hostile names ({@code ../x}, {@code /abs}) reach the extractor unchanged. Every entry defaults to
 * owner 0:0 and mtime {@link #DEFAULT_MTIME}; {@link #xattr} applies to the entry added last.
 */
public final class TarBuilder {
    public static final long DEFAULT_MTIME = 1_600_000_000L;

    private record Item(TarArchiveEntry entry, byte[] content) {
    }

    private final List<Item> items = new ArrayList<>();

    public TarBuilder file(String name, String content) {
        return file(name, content.getBytes(StandardCharsets.UTF_8), 0644, 0, 0, DEFAULT_MTIME);
    }

    public TarBuilder file(String name, String content, int mode) {
        return file(name, content.getBytes(StandardCharsets.UTF_8), mode, 0, 0, DEFAULT_MTIME);
    }

    public TarBuilder file(String name, byte[] content, int mode, int uid, int gid, long mtimeSeconds) {
        TarArchiveEntry e = entry(name, TarConstants.LF_NORMAL, mode, uid, gid, mtimeSeconds);
        e.setSize(content.length);
        items.add(new Item(e, content));
        return this;
    }

    public TarBuilder dir(String name) {
        return dir(name, 0755, 0, 0, DEFAULT_MTIME);
    }

    public TarBuilder dir(String name, int mode, int uid, int gid, long mtimeSeconds) {
        String n = name.endsWith("/") ? name : name + "/";
        items.add(new Item(entry(n, TarConstants.LF_DIR, mode, uid, gid, mtimeSeconds), new byte[0]));
        return this;
    }

    public TarBuilder symlink(String name, String target) {
        return symlink(name, target, 0, 0, DEFAULT_MTIME);
    }

    public TarBuilder symlink(String name, String target, int uid, int gid, long mtimeSeconds) {
        TarArchiveEntry e = entry(name, TarConstants.LF_SYMLINK, 0777, uid, gid, mtimeSeconds);
        e.setLinkName(target);
        items.add(new Item(e, new byte[0]));
        return this;
    }

    public TarBuilder hardlink(String name, String target) {
        TarArchiveEntry e = entry(name, TarConstants.LF_LINK, 0644, 0, 0, DEFAULT_MTIME);
        e.setLinkName(target);
        items.add(new Item(e, new byte[0]));
        return this;
    }

    public TarBuilder charDevice(String name, int major, int minor) {
        return device(name, TarConstants.LF_CHR, major, minor);
    }

    public TarBuilder blockDevice(String name, int major, int minor) {
        return device(name, TarConstants.LF_BLK, major, minor);
    }

    public TarBuilder fifo(String name) {
        return device(name, TarConstants.LF_FIFO, 0, 0);
    }

    private TarBuilder device(String name, byte type, int major, int minor) {
        TarArchiveEntry e = entry(name, type, 0660, 0, 0, DEFAULT_MTIME);
        e.setDevMajor(major);
        e.setDevMinor(minor);
        items.add(new Item(e, new byte[0]));
        return this;
    }

    /** An extended attribute (PAX SCHILY.xattr record) on the entry added last. */
    public TarBuilder xattr(String name, String value) {
        items.get(items.size() - 1).entry().addPaxHeader("SCHILY.xattr." + name, value);
        return this;
    }

    /** A whiteout hiding {@code path} of lower layers. */
    public TarBuilder whiteout(String path) {
        int slash = path.lastIndexOf('/');
        String name = slash < 0 ? ".wh." + path : path.substring(0, slash + 1) + ".wh." + path.substring(slash + 1);
        return file(name, new byte[0], 0644, 0, 0, DEFAULT_MTIME);
    }

    /** Marks {@code dir} opaque: lower layers' content of it is hidden. */
    public TarBuilder opaque(String dir) {
        String d = dir.endsWith("/") ? dir : dir + "/";
        return file(d + ".wh..wh..opq", new byte[0], 0644, 0, 0, DEFAULT_MTIME);
    }

    /** A regular file whose name is written verbatim (no normalisation), e.g. {@code ../x} or {@code /abs}. */
    public TarBuilder raw(String name, String content) {
        return file(name, content.getBytes(StandardCharsets.UTF_8), 0644, 0, 0, DEFAULT_MTIME);
    }

    private static TarArchiveEntry entry(String name, byte type, int mode, int uid, int gid, long mtime) {
        // preserveAbsolutePath=true: Commons Compress would otherwise strip a leading '/'.
        TarArchiveEntry e = new TarArchiveEntry(name, type, true);
        e.setMode(mode);
        e.setUserId(uid);
        e.setGroupId(gid);
        e.setUserName("");
        e.setGroupName("");
        e.setModTime(FileTime.from(java.time.Instant.ofEpochSecond(mtime)));
        return e;
    }

    public byte[] bytes() {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try (TarArchiveOutputStream out = new TarArchiveOutputStream(bos, StandardCharsets.UTF_8.name())) {
            out.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            out.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
            out.setAddPaxHeadersForNonAsciiNames(true);
            for (Item i : items) {
                out.putArchiveEntry(i.entry());
                out.write(i.content());
                out.closeArchiveEntry();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bos.toByteArray();
    }

    public byte[] gzipBytes() {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(bos)) {
            gz.write(bytes());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bos.toByteArray();
    }

    public Path writeTo(Path file) {
        try {
            Files.write(file, bytes());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return file;
    }
}
