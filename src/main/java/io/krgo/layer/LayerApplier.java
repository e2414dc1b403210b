package io.krgo.layer;

import io.krgo.error.FilesystemException;
import io.krgo.error.IntegrityException;
import io.krgo.error.KrgoException;
import io.krgo.error.UnsafeImageException;
import io.krgo.image.Digest;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Applies layer tar streams, oldest first, to a root directory with OCI changeset semantics (umoci's
 * behaviour is the reference): whiteouts, opaque directories, type replacement, hardlinks resolved
 * inside the root, devices, owners, full modes, xattrs and times. Every path goes through
 * {@link SafeRoot}. One instance per tree; call {@link #finish()} after the last layer, which sets
 * directory modes and mtimes in one pass (writing into a directory changes its mtime, so they can only be
 * final at the end). Not thread-safe.
 */
public final class LayerApplier {
    private static final String WHITEOUT = ".wh.";
    private static final String OPAQUE = ".wh..wh..opq";
    private static final String ROOTLESS_XATTR = "rootlesscontainers";
    private static final int BUFFER = 1 << 20;
    /** Chunks of BUFFER bytes decompressed ahead of the tar reader. */
    private static final int READ_AHEAD_CHUNKS = 4;
    private static final long NOOP_ID = 0xffffffffL;
    private static final Set<StandardOpenOption> CREATE_NEW_WRITE =
            EnumSet.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    private static final FileAttribute<?>[] NO_ATTRIBUTES = new FileAttribute<?>[0];

    private final SafeRoot root;
    private final ApplyOptions options;
    private final boolean unicodeNames;
    private final byte[] buffer = new byte[BUFFER];
    /** Directory metadata to apply at the end, by root-relative path; the last declaration wins. */
    private final TreeMap<String, DirMeta> dirMeta = new TreeMap<>();
    private LayerStats total = LayerStats.ZERO;
    private long expandedBytes;
    /** What upper layers hide (null: write everything, e.g. when each layer's own state matters). */
    private final HiddenPaths hidden;
    /** Non-directories skipped because an upper layer hides them: a hardlink to one cannot be made. */
    private final Set<String> skippedFiles = new HashSet<>();
    private int layerIndex = -1;
    /**
     * The permission bits a file created here keeps from the mode asked for at creation (umask, or a
     * default ACL): -1 until probed, 0 once unusable. A file whose mode passes it unchanged needs no chmod.
     */
    private int createMask = -1;
    private final Map<Integer, FileAttribute<Set<PosixFilePermission>>> createModes = new HashMap<>();
    private long hiddenSkipped;
    /** Writes small new files on a second thread while this one parses on; created on first use. */
    private FileWriterThread writer;
    /** Sees every regular file's content as it is written (null: nobody asks). */
    private final ContentTee tee;

    private record DirMeta(int mode, FileTime mtime, FileTime atime) {
    }

    public LayerApplier(Path root, ApplyOptions options) {
        this(root, options, null);
    }

    /**
     * @param hidden what upper layers will remove or replace, filled concurrently by a scanner; entries it
     *               hides are not written. Only for applying all layers of an image in order, when nobody
     *               looks at the tree between layers. A hardlink to a skipped file throws
     *               {@link HiddenPaths.SkippedLinkTarget}: apply again without.
     */
    public LayerApplier(Path root, ApplyOptions options, HiddenPaths hidden) {
        this(root, options, hidden, null);
    }

    /** @param tee told every regular file's content and every hardlink as they are written; may be null */
    public LayerApplier(Path root, ApplyOptions options, HiddenPaths hidden, ContentTee tee) {
        this.tee = tee;
        this.hidden = hidden;
        this.root = new SafeRoot(root);
        this.options = options;
        this.unicodeNames = "UTF-8".equalsIgnoreCase(System.getProperty("sun.jnu.encoding", "UTF-8"));
    }

    /** Entries not written because an upper layer hides them (see {@link HiddenPaths}). */
    public long hiddenSkipped() {
        return hiddenSkipped;
    }

    /** Counters summed over every layer applied so far. */
    public LayerStats totals() {
        return total;
    }

    /**
     * Applies one layer blob: decompresses it (media type, else magic bytes) and reads the blob stream
     * to its end, so a verifying stream checks the digest before this returns.
     */
    public LayerResult applyBlob(InputStream blob, String mediaType) throws IOException {
        return applyBlob(blob, mediaType, null);
    }

    /**
     * {@link #applyBlob(InputStream, String)}, also checking that the uncompressed tar hashes to
     * {@code diffId} (the config's rootfs.diff_ids entry; null to skip): an image whose config does not
     * describe its layers is refused with an {@link IntegrityException}. SHA-256 runs at well over 1 GB/s,
     * far faster than a tar can be written to disk.
     */
    public LayerResult applyBlob(InputStream blob, String mediaType, Digest diffId) throws IOException {
        MessageDigest hasher = diffId == null ? null : diffId.newHasher();
        // Decompression and both digests on a second thread (the queue hands the hasher's state over at
        // EOF): both cores busy.
        try (InputStream tar = new ReadAheadStream(() -> Decompression.openHashed(blob, mediaType, hasher),
                BUFFER, READ_AHEAD_CHUNKS, "krgo-decompress")) {
            LayerResult r = applyTar(tar);
            checkDiffId(diffId, hasher);
            return r;
        }
    }

    /**
     * Refuses a layer whose uncompressed bytes, all fed to {@code hasher} (from {@link Decompression#openHashed}),
     * do not hash to {@code diffId}; nothing to check when {@code hasher} is null.
     */
    public static void checkDiffId(Digest diffId, MessageDigest hasher) {
        if (hasher == null) {
            return;
        }
        Digest actual = new Digest(diffId.algorithm(), HexFormat.of().formatHex(hasher.digest()));
        if (!actual.equals(diffId)) {
            throw new IntegrityException("layer diff_id mismatch: the config says " + diffId
                    + " but the uncompressed layer has " + actual);
        }
    }

    /**
     * Applies one uncompressed tar stream and reads it to its end: bytes after the tar's end marker still
     * belong to the layer's digest, and a verifying stream checks it only at EOF.
     */
    public LayerResult applyTar(InputStream tar) throws IOException {
        LayerResult r = apply(tar);
        while (tar.read(buffer) >= 0) {
            // drain
        }
        return r;
    }

    /** Applies one uncompressed tar stream. */
    public LayerResult apply(InputStream tarStream) throws IOException {
        layerIndex++;
        if (hidden != null) {
            hidden.applying(layerIndex);
        }
        Layer layer = new Layer(tarStream);
        layer.run();
        LayerStats stats = new LayerStats(layer.entries, layer.counting.position, layer.devicesSkipped,
                layer.xattrsSkipped);
        total = total.plus(stats);
        return new LayerResult(new AppliedChanges(layer.written, layer.removed), stats);
    }

    /** Sets directory modes and times, deepest first; call once after the last layer. */
    public void finish() throws IOException {
        if (writer != null) {
            writer.abandon(); // drained after every layer: only the idle thread is left
            writer = null;
        }
        for (Map.Entry<String, DirMeta> e : dirMeta.descendingMap().entrySet()) {
            Path p = root.root().resolve(e.getKey());
            BasicFileAttributes a;
            try {
                a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            } catch (NoSuchFileException gone) {
                continue;
            }
            if (!a.isDirectory()) {
                continue;
            }
            DirMeta m = e.getValue();
            if (!options.privileged()) {
                Files.setAttribute(p, "unix:mode", m.mode());
            }
            Files.getFileAttributeView(p, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                    .setTimes(m.mtime(), m.atime(), null);
        }
        dirMeta.clear();
    }

    /** State of the layer being applied. */
    private final class Layer {
        final CountingStream counting;
        final List<String> written = new ArrayList<>();
        final Set<String> writtenSet = new HashSet<>();
        /** Every ancestor of a written path: what an opaque directory must keep. */
        final Set<String> writtenAncestors = new HashSet<>();
        final List<String> removed = new ArrayList<>();
        final List<String> createdDirs = new ArrayList<>();
        long entries;
        long devicesSkipped;
        long xattrsSkipped;
        String current = "";

        Layer(InputStream in) {
            this.counting = new CountingStream(in);
        }

        void run() throws IOException {
            boolean ok = false;
            try {
                readEntries();
                if (writer != null) {
                    writer.drain(this);
                }
                ok = true;
            } finally {
                if (!ok && writer != null) {
                    writer.abandon(); // nothing may write into the tree once the caller starts removing it
                    writer = null;
                }
            }
        }

        void readEntries() throws IOException {
            TarArchiveInputStream tar = new TarArchiveInputStream(counting, MarkedUtf8.NAME);
            TarArchiveEntry e;
            long nextHeader = 0;
            while (true) {
                counting.watch(nextHeader);
                try {
                    e = tar.getNextEntry();
                } catch (IOException ex) {
                    throw new UnsafeImageException("layer tar is malformed: " + ex.getMessage(), ex);
                }
                if (e == null) {
                    break;
                }
                entries++;
                current = e.getName();
                try {
                    entry(tar, e);
                } catch (KrgoException ex) {
                    throw ex;
                } catch (IOException ex) {
                    throw new FilesystemException("entry '" + SafeRoot.printable(current) + "': " + ex, ex);
                }
                // Commons Compress skips getSize() bytes of data for every entry type, so the next header is there.
                long dataStart = counting.position - consumedData;
                nextHeader = dataStart + (e.getSize() + 511) / 512 * 512;
                consumedData = 0;
            }
            if (!counting.watchedZero) {
                throw new UnsafeImageException("layer tar is truncated (no end-of-archive marker)");
            }
        }

        long consumedData;

        void entry(TarArchiveInputStream tar, TarArchiveEntry e) throws IOException {
            String name = e.getName();
            if (!unicodeNames && !isAscii(name)) {
                throw new FilesystemException("cannot create non-ASCII file name '" + name
                        + "': the JVM's file name encoding is not UTF-8; run with a UTF-8 locale (LC_ALL=C.UTF-8)");
            }
            List<String> comps = SafeRoot.components(name);
            String base = comps.isEmpty() ? "" : comps.get(comps.size() - 1);
            if (writer != null && writer.hasPending()) {
                // Whatever this entry touches must first be as the entries before it left it.
                if (base.startsWith(WHITEOUT)) {
                    writer.drain(this);
                } else {
                    writer.awaitPathAndAncestors(this, comps);
                    if (e.isLink() && e.getLinkName() != null) {
                        writer.awaitPathAndAncestors(this, SafeRoot.components(e.getLinkName()));
                    }
                }
            }
            if (base.startsWith(WHITEOUT)) {
                String dir = String.join("/", comps.subList(0, comps.size() - 1));
                if (base.equals(OPAQUE)) {
                    opaque(name);
                } else if (!base.startsWith(WHITEOUT + WHITEOUT)) {
                    whiteout(name, dir, base.substring(WHITEOUT.length()));
                }
                // Other .wh..wh.* names are aufs bookkeeping (hardlink dirs): nothing to apply.
                return;
            }
            if (e.isGNUSparse() || e.isGlobalPaxHeader() || e.isPaxHeader()) {
                throw new UnsafeImageException("entry '" + SafeRoot.printable(name) + "': unsupported tar entry type (sparse)");
            }
            if (hidden != null && !e.isSymbolicLink() && skipHidden(name, comps, e)) {
                return;
            }
            createdDirs.clear();
            SafeRoot.Resolved r = root.resolve(name, true, createdDirs);
            for (String d : createdDirs) {
                markWritten(d);
            }
            if (r.isRoot()) {
                if (!e.isDirectory()) {
                    throw new UnsafeImageException("entry '" + SafeRoot.printable(name) + "' would replace the root directory");
                }
                return; // the root's own metadata is the target directory's, not the image's
            }
            Path p = r.path();
            boolean created;
            if (e.isDirectory()) {
                created = makeDir(r);
            } else if (e.isSymbolicLink()) {
                String target = e.getLinkName();
                if (target == null || target.isEmpty() || target.indexOf('\0') >= 0
                        || target.indexOf(SafeRoot.UTF8_REPLACEMENT) >= 0) {
                    throw new UnsafeImageException("entry '" + SafeRoot.printable(name) + "': invalid symlink target");
                }
                created = create(r, () -> Files.createSymbolicLink(p, Path.of(target)));
            } else if (e.isLink()) {
                hardlink(r, e);
                markWritten(r.rel());
                return; // a hardlink shares its target's inode and metadata
            } else if (e.isCharacterDevice() || e.isBlockDevice()) {
                if (!options.privileged()) {
                    devicesSkipped++;
                    return;
                }
                int type = e.isCharacterDevice() ? NativeFs.S_IFCHR : NativeFs.S_IFBLK;
                created = create(r, () -> NativeFs.mknod(p, type, e.getMode(), e.getDevMajor(), e.getDevMinor()));
            } else if (e.isFIFO()) {
                created = create(r, () -> NativeFs.mknod(p, NativeFs.S_IFIFO, e.getMode(), 0, 0));
            } else if (e.isFile()) {
                FileAttribute<?>[] mode = modeAtCreation(e.getMode());
                if (tee != null) {
                    tee.file(r.rel(), e.getSize());
                }
                if (mode.length > 0 && e.getSize() <= FileWriterThread.MAX_FILE && e.getExtraPaxHeaders().isEmpty()) {
                    if (writer == null) {
                        writer = new FileWriterThread();
                    }
                    writer.submit(this, r, e, mode, tar);
                    markWritten(r.rel());
                    return;
                }
                created = create(r, () -> writeFile(p, tar, e.getSize(), mode));
                if (mode.length > 0) {
                    markWritten(r.rel());
                    metadataOfNewFile(p, e);
                    return;
                }
            } else {
                throw new UnsafeImageException("entry '" + SafeRoot.printable(name) + "': unsupported tar entry type '"
                        + (char) typeFlag(e) + "'");
            }
            markWritten(r.rel());
            metadata(r, e, created);
        }

        /**
         * Skips an entry an upper layer removes or replaces anyway. Only when its name resolves without a
         * symlink (then the upper layer's name means the same file); symlinks are never skipped, as a later
         * entry may write through one to a place nobody hides. The directories above what the upper layer
         * removes are created as applying would, so the result is the same.
         */
        boolean skipHidden(String name, List<String> comps, TarArchiveEntry e) {
            String keep = hidden.keepIfHidden(comps, layerIndex);
            if (keep == null) {
                return false;
            }
            SafeRoot.Resolved probe;
            try {
                probe = root.resolve(name, false, null);
            } catch (UnsafeImageException notADirectory) {
                return false; // applying reports it
            }
            String textual = String.join("/", comps);
            if (!probe.rel().equals(textual)) {
                return false;
            }
            if (!keep.isEmpty()) {
                createdDirs.clear();
                root.resolve(keep + "/-", true, createdDirs);
                for (String d : createdDirs) {
                    markWritten(d);
                }
            }
            if (!e.isDirectory()) {
                skippedFiles.add(textual);
            }
            hiddenSkipped++;
            return true;
        }

        /**
         * The mode to create a regular file with so that no chmod is needed, or none. Never for
         * setuid/setgid/sticky (a later chown would clear them) and only when creation keeps the bits.
         */
        FileAttribute<?>[] modeAtCreation(int tarMode) throws IOException {
            int mode = tarMode & 07777;
            if ((mode & 07000) != 0 || createMask == 0) {
                return NO_ATTRIBUTES;
            }
            if (createMask < 0) {
                createMask = probeCreateMask();
                if (createMask == 0) {
                    return NO_ATTRIBUTES;
                }
            }
            if ((mode & ~createMask) != 0) {
                return NO_ATTRIBUTES;
            }
            return new FileAttribute<?>[] {createModes.computeIfAbsent(mode,
                    m -> PosixFilePermissions.asFileAttribute(permissions(m)))};
        }

        /**
         * Creates a file asking for 0777 and reads what it got: umask and default ACLs both act as a fixed
         * mask on the bits asked for, so this one probe tells which modes survive creation.
         */
        int probeCreateMask() throws IOException {
            Path probe = root.root().resolve(".krgo-mode-probe-" + System.nanoTime());
            try {
                Files.createFile(probe, PosixFilePermissions.asFileAttribute(permissions(0777)));
                int got = (Integer) Files.getAttribute(probe, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 0777;
                return got == 0 ? 0 : got;
            } catch (IOException | UnsupportedOperationException e) {
                return 0;
            } finally {
                Files.deleteIfExists(probe);
            }
        }

        /** Owner, xattrs and times of a regular file just created with its final mode. */
        void metadataOfNewFile(Path p, TarArchiveEntry e) throws IOException {
            int uid = (int) e.getLongUserId();
            int gid = (int) e.getLongGroupId();
            if (options.privileged()) {
                if (uid != 0 || gid != 0) {
                    Files.setAttribute(p, "unix:uid", uid, LinkOption.NOFOLLOW_LINKS);
                    Files.setAttribute(p, "unix:gid", gid, LinkOption.NOFOLLOW_LINKS);
                }
            } else if (uid != 0 || gid != 0) {
                Files.getFileAttributeView(p, UserDefinedFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                        .write(ROOTLESS_XATTR, ByteBuffer.wrap(rootlessOwner(uid, gid)));
            }
            xattrs(p, e, false, true);
            FileTime mtime = e.getLastModifiedTime();
            FileTime atime = e.getLastAccessTime() != null ? e.getLastAccessTime() : mtime;
            // Just created by us with O_EXCL, so a regular file: following links skips the JDK's lstat.
            Files.getFileAttributeView(p, BasicFileAttributeView.class).setTimes(mtime, atime, null);
        }

        void readContent(TarArchiveInputStream tar, byte[] into, int offset, int length) throws IOException {
            int off = offset;
            int end = offset + length;
            while (off < end) {
                off += readData(tar, into, off, end - off);
            }
            if (tee != null) {
                tee.content(into, offset, length);
            }
        }

        /** One read of the current entry's data (at least one byte); a tar that ends early is an unsafe image. */
        int readData(TarArchiveInputStream tar, byte[] b, int off, int len) throws IOException {
            int n;
            try {
                n = tar.read(b, off, len);
            } catch (IOException ex) {
                if (ex.getMessage() != null && ex.getMessage().contains("Truncated TAR archive")) {
                    throw new UnsafeImageException("layer tar is truncated inside entry '"
                            + SafeRoot.printable(current) + "'", ex);
                }
                throw ex;
            }
            if (n < 0) {
                throw new UnsafeImageException("layer tar is truncated inside entry '" + SafeRoot.printable(current) + "'");
            }
            consumedData += n;
            return n;
        }

        /** A small file's write, on the writer thread: false when something is in the way (then the caller replaces it). */
        boolean tryWriteNew(FileWriterThread.Job job) throws IOException {
            Path p = job.resolved().path();
            try (FileChannel ch = FileChannel.open(p, CREATE_NEW_WRITE, job.mode())) {
                ByteBuffer bb = ByteBuffer.wrap(job.ring(), job.offset(), job.length());
                while (bb.hasRemaining()) {
                    ch.write(bb);
                }
            } catch (FileAlreadyExistsException exists) {
                return false;
            }
            metadataOfNewFile(p, job.entry());
            return true;
        }

        /** On this thread, after the writer thread found the path taken: replace it, as {@link #create} does. */
        void replaceAndWrite(FileWriterThread.Job job) throws IOException {
            replaceExisting(job.resolved());
            if (!tryWriteNew(job)) {
                throw new FileAlreadyExistsException(job.resolved().path().toString());
            }
        }

        void writeFile(Path p, TarArchiveInputStream tar, long size, FileAttribute<?>[] mode) throws IOException {
            try (FileChannel ch = FileChannel.open(p, CREATE_NEW_WRITE, mode)) {
                long left = size;
                while (left > 0) {
                    int n = readData(tar, buffer, 0, (int) Math.min(buffer.length, left));
                    if (tee != null) {
                        tee.content(buffer, 0, n);
                    }
                    ByteBuffer bb = ByteBuffer.wrap(buffer, 0, n);
                    while (bb.hasRemaining()) {
                        ch.write(bb);
                    }
                    left -= n;
                }
            }
        }

        /** Creates a non-directory; whatever is there already (file, link or directory tree) is replaced. */
        boolean create(SafeRoot.Resolved r, IoAction make) throws IOException {
            try {
                make.run();
                return true;
            } catch (FileAlreadyExistsException exists) {
                replaceExisting(r);
                make.run();
                return true;
            }
        }

        void replaceExisting(SafeRoot.Resolved r) throws IOException {
            BasicFileAttributes a = Files.readAttributes(r.path(), BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            if (a.isDirectory()) {
                if (writer != null) {
                    writer.drain(this); // files of this layer may still be on their way into the tree removed here
                }
                Trees.deleteRecursively(r.path());
                forgetDirs(r.rel());
                root.forget(r.rel());
                removed.add(r.rel());
            } else {
                Files.delete(r.path()); // a file or a symlink: no known directory changes
            }
        }

        boolean makeDir(SafeRoot.Resolved r) throws IOException {
            try {
                Files.createDirectory(r.path());
                root.noteDirectory(r.rel());
                return true;
            } catch (FileAlreadyExistsException exists) {
                if (Files.isDirectory(r.path(), LinkOption.NOFOLLOW_LINKS)) {
                    return false; // re-declared: keep the contents, update the metadata
                }
                Files.delete(r.path()); // not a directory: no known directory changes
                removed.add(r.rel());
                Files.createDirectory(r.path());
                root.noteDirectory(r.rel());
                return true;
            }
        }

        void hardlink(SafeRoot.Resolved r, TarArchiveEntry e) throws IOException {
            String linkName = e.getLinkName();
            if (linkName == null || linkName.isEmpty()) {
                throw new UnsafeImageException("entry '" + SafeRoot.printable(current) + "': hardlink without a target");
            }
            SafeRoot.Resolved target = root.resolve(linkName, false, null);
            if (skippedFiles.contains(target.rel())) {
                throw new HiddenPaths.SkippedLinkTarget();
            }
            BasicFileAttributes a;
            try {
                a = Files.readAttributes(target.path(), BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            } catch (NoSuchFileException missing) {
                throw new UnsafeImageException("entry '" + SafeRoot.printable(current) + "': hardlink target '"
                        + SafeRoot.printable(linkName) + "' does not exist in the image");
            }
            if (a.isDirectory() || target.isRoot()) {
                throw new UnsafeImageException("entry '" + SafeRoot.printable(current) + "': hardlink to a directory");
            }
            if (target.rel().equals(r.rel())) {
                return; // a link to itself: nothing to do
            }
            create(r, () -> Files.createLink(r.path(), target.path()));
            if (tee != null) {
                tee.linked(r.rel(), target.rel());
            }
        }

        void whiteout(String name, String dir, String victim) throws IOException {
            if (victim.isEmpty() || victim.equals(".") || victim.equals("..")) {
                throw new UnsafeImageException("whiteout entry '" + SafeRoot.printable(name) + "' names no file");
            }
            SafeRoot.Resolved r;
            try {
                r = root.resolve(dir.isEmpty() ? victim : dir + "/" + victim, false, null);
            } catch (UnsafeImageException notADirectory) {
                return; // nothing below a non-directory to remove
            }
            if (r.isRoot() || writtenSet.contains(r.rel())) {
                return; // whiteouts hide lower layers only
            }
            if (!Files.exists(r.path(), LinkOption.NOFOLLOW_LINKS)) {
                return;
            }
            Trees.deleteRecursively(r.path());
            root.forget(r.rel());
            forgetDirs(r.rel());
            removed.add(r.rel());
        }

        /** Clears what lower layers put in the directory; keeps what this layer wrote, whatever the tar order. */
        void opaque(String markerName) throws IOException {
            SafeRoot.Resolved marker;
            try {
                marker = root.resolve(markerName, false, null);
            } catch (UnsafeImageException notADirectory) {
                return;
            }
            Path dir = marker.path().getParent();
            String dirRel = marker.rel().contains("/") ? marker.rel().substring(0, marker.rel().lastIndexOf('/')) : "";
            if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
                return;
            }
            clearLower(dir, dirRel); // forgets each subtree it removes
        }

        void clearLower(Path dir, String dirRel) throws IOException {
            List<Path> children = new ArrayList<>();
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
                ds.forEach(children::add);
            }
            for (Path child : children) {
                String rel = dirRel.isEmpty() ? child.getFileName().toString() : dirRel + "/" + child.getFileName();
                if (writtenSet.contains(rel) || writtenAncestors.contains(rel)) {
                    if (Files.isDirectory(child, LinkOption.NOFOLLOW_LINKS)) {
                        clearLower(child, rel);
                    }
                } else {
                    Trees.deleteRecursively(child);
                    forgetDirs(rel);
                    root.forget(rel);
                    removed.add(rel);
                }
            }
        }

        void markWritten(String rel) {
            if (!skippedFiles.isEmpty()) {
                skippedFiles.remove(rel); // written again: a link to it is fine
            }
            if (writtenSet.add(rel)) {
                written.add(rel);
            }
            int slash = rel.lastIndexOf('/');
            while (slash > 0) {
                rel = rel.substring(0, slash);
                if (!writtenAncestors.add(rel)) {
                    break;
                }
                slash = rel.lastIndexOf('/');
            }
        }

        void metadata(SafeRoot.Resolved r, TarArchiveEntry e, boolean created) throws IOException {
            Path p = r.path();
            boolean symlink = e.isSymbolicLink();
            boolean dir = e.isDirectory();
            int uid = (int) e.getLongUserId();
            int gid = (int) e.getLongGroupId();
            int mode = e.getMode() & 07777;
            UserDefinedFileAttributeView user = null;
            // 1. owner (chown clears setuid/setgid and security.capability, so it comes first)
            if (options.privileged()) {
                if (!created || uid != 0 || gid != 0) {
                    Files.setAttribute(p, "unix:uid", uid, LinkOption.NOFOLLOW_LINKS);
                    Files.setAttribute(p, "unix:gid", gid, LinkOption.NOFOLLOW_LINKS);
                }
            } else if (!symlink) {
                // Rootless: the files are ours; umoci's convention keeps the image's owner in the
                // user.rootlesscontainers xattr, a protobuf message {uint32 uid = 1; uint32 gid = 2;},
                // so a later commit/push can restore it. Absent means 0:0.
                user = Files.getFileAttributeView(p, UserDefinedFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
                if (uid != 0 || gid != 0) {
                    user.write(ROOTLESS_XATTR, ByteBuffer.wrap(rootlessOwner(uid, gid)));
                } else if (!created && user.list().contains(ROOTLESS_XATTR)) {
                    user.delete(ROOTLESS_XATTR);
                }
            }
            // 2. mode, with setuid/setgid/sticky ("unix:mode" keeps them; setPosixFilePermissions does not)
            if (!symlink) {
                int now = dir && !options.privileged() ? mode | 0700 : mode; // rootless: stay writable until finish()
                Files.setAttribute(p, "unix:mode", now);
            }
            // 3. xattrs
            xattrs(p, e, symlink, created);
            // 4. times
            FileTime mtime = e.getLastModifiedTime();
            FileTime atime = e.getLastAccessTime() != null ? e.getLastAccessTime() : mtime;
            if (dir) {
                dirMeta.put(r.rel(), new DirMeta(mode, mtime, atime));
            } else if (e.isFIFO() || e.isCharacterDevice() || e.isBlockDevice()) {
                NativeFs.lutimes(p, atime, mtime); // the JDK would open() the node: blocks on a FIFO
            } else {
                Files.getFileAttributeView(p, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                        .setTimes(mtime, atime, null);
            }
        }

        void xattrs(Path p, TarArchiveEntry e, boolean symlink, boolean created) throws IOException {
            Map<String, String> pax = e.getExtraPaxHeaders();
            if (!created && !symlink) {
                // A re-declared entry carries its full xattr set: drop user xattrs it no longer has.
                UserDefinedFileAttributeView view = Files.getFileAttributeView(p, UserDefinedFileAttributeView.class,
                        LinkOption.NOFOLLOW_LINKS);
                for (String n : view.list()) {
                    if (!n.equals(ROOTLESS_XATTR) && !pax.containsKey("SCHILY.xattr.user." + n)) {
                        view.delete(n);
                    }
                }
            }
            if (pax.isEmpty()) {
                return;
            }
            for (Map.Entry<String, String> x : pax.entrySet()) {
                String key = x.getKey();
                String name;
                byte[] value;
                if (key.startsWith("SCHILY.xattr.")) {
                    name = key.substring("SCHILY.xattr.".length());
                    // Commons Compress decodes PAX values as UTF-8; binary values that are not valid
                    // UTF-8 cannot be recovered exactly.
                    value = x.getValue().getBytes(StandardCharsets.UTF_8);
                } else if (key.startsWith("LIBARCHIVE.xattr.")) {
                    name = java.net.URLDecoder.decode(key.substring("LIBARCHIVE.xattr.".length()), StandardCharsets.UTF_8);
                    value = Base64.getDecoder().decode(x.getValue());
                } else {
                    continue;
                }
                setXattr(p, name, value, symlink);
            }
        }

        void setXattr(Path p, String name, byte[] value, boolean symlink) throws IOException {
            if (name.startsWith("user.")) {
                if (symlink) {
                    return; // Linux allows no user.* xattrs on symlinks
                }
                String n = name.substring("user.".length());
                if (!options.privileged() && n.equals(ROOTLESS_XATTR)) {
                    return; // ours, set from the entry's owner
                }
                Files.getFileAttributeView(p, UserDefinedFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                        .write(n, ByteBuffer.wrap(value));
            } else if (name.startsWith("security.") || name.startsWith("trusted.") || name.startsWith("system.")) {
                if (!options.privileged()) {
                    xattrsSkipped++;
                    return;
                }
                if (name.startsWith("system.posix_acl")) {
                    createMask = 0; // a default ACL below here masks new files differently: chmod every file
                }
                NativeFs.lsetxattr(p, name, value);
            }
            // other namespaces do not exist on Linux
        }
    }

    private void forgetDirs(String rel) {
        dirMeta.remove(rel);
        dirMeta.subMap(rel + "/", rel + "0").clear(); // '0' follows '/' in ASCII: exactly the subtree
    }

    /**
     * Encodes {uint32 uid = 1; uint32 gid = 2;} as protobuf, the rootlesscontainers.io message. Like
     * umoci, an id of 0 is written as NoopID (0xFFFFFFFF, "leave as is": the caller maps to container
     * root); 0:0 has no message at all.
     */
    static byte[] rootlessOwner(int uid, int gid) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        if (uid == 0 && gid == 0) {
            return out.toByteArray();
        }
        out.write(0x08);
        varint(out, uid == 0 ? NOOP_ID : uid & 0xffffffffL);
        out.write(0x10);
        varint(out, gid == 0 ? NOOP_ID : gid & 0xffffffffL);
        return out.toByteArray();
    }

    private static void varint(ByteArrayOutputStream out, long v) {
        while ((v & ~0x7fL) != 0) {
            out.write((int) ((v & 0x7f) | 0x80));
            v >>>= 7;
        }
        out.write((int) v);
    }

    private static Set<PosixFilePermission> permissions(int mode) {
        Set<PosixFilePermission> set = EnumSet.noneOf(PosixFilePermission.class);
        PosixFilePermission[] bits = PosixFilePermission.values(); // OWNER_READ .. OTHERS_EXECUTE, high bit first
        for (int i = 0; i < 9; i++) {
            if ((mode & (0400 >> i)) != 0) {
                set.add(bits[i]);
            }
        }
        return set;
    }

    private static boolean isAscii(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) >= 0x80) {
                return false;
            }
        }
        return true;
    }

    private static int typeFlag(TarArchiveEntry e) {
        try {
            java.lang.reflect.Field f = TarArchiveEntry.class.getDeclaredField("linkFlag");
            f.setAccessible(true);
            return f.getByte(e);
        } catch (ReflectiveOperationException | RuntimeException ex) {
            return '?';
        }
    }

    /**
     * A second thread for the syscalls of small new regular files (open, write, close, owner, times): the
     * reading thread hands over the content and goes on parsing. Per-path order is kept: before an entry
     * touches a path (itself, an ancestor, a hardlink target) its pending write is finished; a whiteout or
     * opaque marker waits for all. A file whose name turns out to be taken (a lower layer's file or
     * directory) is replaced on the reading thread, exactly as a synchronous write does. Pending bytes are
     * bounded. Used by the reading thread only, apart from the jobs themselves.
     */
    private static final class FileWriterThread {
        static final int MAX_FILE = 256 * 1024;
        private static final long MAX_PENDING_BYTES = 16L << 20;
        /** Each job also holds its tar entry (a few hundred bytes): empty files must not pile up either. */
        private static final int MAX_PENDING_FILES = 1024;

        /**
         * A small file waiting for the writer thread: its content lies in the ring at {@code offset}; the
         * ring space from {@code reservedFrom} (the skipped tail of the ring included) is free once it is done.
         */
        record Job(SafeRoot.Resolved resolved, TarArchiveEntry entry, FileAttribute<?>[] mode, byte[] ring, int offset,
                int length, long reservedFrom) {
        }

        private record Pending(Job job, java.util.concurrent.Future<Boolean> written) {
        }

        private final java.util.concurrent.ThreadPoolExecutor pool;
        private final java.util.ArrayDeque<Pending> order = new java.util.ArrayDeque<>();
        private final Map<String, Pending> byPath = new HashMap<>();
        /**
         * Pending contents, written once and reused in order: a byte[] per file would survive young
         * collections while it waits and be promoted, which cost a pull several full collections.
         */
        private final byte[] ring = new byte[(int) MAX_PENDING_BYTES];
        /** Where the next content goes, counted from the start and never wrapped (the ring index is its remainder). */
        private long writeAt;
        private Layer layer;

        FileWriterThread() {
            pool = new java.util.concurrent.ThreadPoolExecutor(1, 1, 1, java.util.concurrent.TimeUnit.SECONDS,
                    new java.util.concurrent.LinkedBlockingQueue<>(), r -> {
                        Thread t = new Thread(r, "krgo-file-writer");
                        t.setDaemon(true);
                        return t;
                    });
            pool.allowCoreThreadTimeOut(true);
        }

        boolean hasPending() {
            return !order.isEmpty();
        }

        /** Reads the current entry's content ({@code <= MAX_FILE} bytes) into the ring and queues its write. */
        void submit(Layer current, SafeRoot.Resolved resolved, TarArchiveEntry entry, FileAttribute<?>[] mode,
                TarArchiveInputStream tar) throws IOException {
            layer = current;
            int length = (int) entry.getSize();
            Pending earlier = byPath.get(resolved.rel());
            if (earlier != null) {
                complete(earlier); // the same name twice in one layer: the later one wins, in order
            }
            int index = (int) (writeAt % ring.length);
            long skip = length > ring.length - index ? ring.length - index : 0; // contents never wrap around the end
            while ((writeAt + skip + length - oldestReserved() > ring.length || order.size() >= MAX_PENDING_FILES)
                    && !order.isEmpty()) {
                complete(order.peekFirst());
            }
            long reservedFrom = writeAt;
            writeAt += skip;
            int offset = (int) (writeAt % ring.length);
            current.readContent(tar, ring, offset, length);
            writeAt += length;
            Job job = new Job(resolved, entry, mode, ring, offset, length, reservedFrom);
            Layer owner = layer;
            java.util.concurrent.Future<Boolean> f = pool.submit(() -> owner.tryWriteNew(job));
            Pending p = new Pending(job, f);
            order.addLast(p);
            byPath.put(resolved.rel(), p);
        }

        /** The start of the ring space still in use: the oldest pending job's, or the write position when none is. */
        private long oldestReserved() {
            return order.isEmpty() ? writeAt : order.peekFirst().job().reservedFrom();
        }

        /** Finishes the pending writes of {@code comps}' path and of each of its ancestors. */
        void awaitPathAndAncestors(Layer current, List<String> comps) throws IOException {
            layer = current;
            StringBuilder path = new StringBuilder();
            for (String c : comps) {
                if (path.length() > 0) {
                    path.append('/');
                }
                path.append(c);
                Pending p = byPath.get(path.toString());
                if (p != null) {
                    complete(p);
                }
            }
        }

        void drain(Layer current) throws IOException {
            layer = current;
            while (!order.isEmpty()) {
                complete(order.peekFirst());
            }
        }

        private void complete(Pending p) throws IOException {
            boolean written;
            try {
                written = p.written().get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new FilesystemException("interrupted");
            } catch (java.util.concurrent.ExecutionException e) {
                Throwable cause = e.getCause();
                if (cause instanceof KrgoException k) {
                    throw k;
                }
                if (cause instanceof IOException io) {
                    throw new FilesystemException("entry '" + SafeRoot.printable(p.job().entry().getName()) + "': " + io, io);
                }
                throw new FilesystemException("entry '" + SafeRoot.printable(p.job().entry().getName()) + "': " + cause, cause);
            } finally {
                order.remove(p);
                byPath.remove(p.job().resolved().rel(), p);
            }
            if (!written) {
                layer.replaceAndWrite(p.job());
            }
        }

        /** Stops the thread: pending writes are cancelled and a running one is waited for. */
        void abandon() {
            order.forEach(p -> p.written().cancel(false));
            order.clear();
            byPath.clear();
            pool.shutdownNow();
            try {
                pool.awaitTermination(10, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @FunctionalInterface
    private interface IoAction {
        void run() throws IOException;
    }

    /**
     * Counts tar bytes (enforcing the expansion limit) and notes whether the 512-byte record where the
     * next header is due is all zeros: a tar that simply stops at a record boundary must not pass for a
     * complete one, and Commons Compress reports both as "no more entries".
     */
    private final class CountingStream extends FilterInputStream {
        long position;
        long watchAt = -1;
        boolean watchedZero;
        long watchSeen;
        boolean watchNonZero;

        CountingStream(InputStream in) {
            super(in);
        }

        void watch(long at) {
            watchAt = at;
            watchedZero = false;
            watchSeen = 0;
            watchNonZero = false;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = in.read(b, off, len);
            if (n <= 0) {
                return n;
            }
            long from = Math.max(position, watchAt);
            long to = Math.min(position + n, watchAt + 512);
            if (watchAt >= 0 && from < to) {
                for (long i = from; i < to; i++) {
                    if (b[off + (int) (i - position)] != 0) {
                        watchNonZero = true;
                        break;
                    }
                }
                watchSeen += to - from;
                watchedZero = watchSeen == 512 && !watchNonZero;
            }
            position += n;
            expandedBytes += n;
            if (expandedBytes > options.maxExpandedBytes()) {
                throw new UnsafeImageException("layers expand to more than the limit of " + options.maxExpandedBytes()
                        + " bytes (a decompression bomb?)");
            }
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            byte[] sink = new byte[(int) Math.min(n, 65536)];
            int r = read(sink, 0, sink.length);
            return Math.max(r, 0);
        }
    }
}
