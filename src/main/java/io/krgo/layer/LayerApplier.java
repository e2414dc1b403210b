package io.krgo.layer;

import io.krgo.compress.Decompression;
import io.krgo.sys.NativeFs;
import io.krgo.stream.ReadAheadStream;
import io.krgo.error.FilesystemException;
import io.krgo.error.IntegrityException;
import io.krgo.error.KrgoException;
import io.krgo.error.UnsafeImageException;
import io.krgo.image.Digest;
import io.krgo.tar.ByteNames;
import io.krgo.tar.Printable;
import io.krgo.tar.TarEntry;
import io.krgo.tar.TarReader;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;

/**
 * Applies layer tar streams, oldest first, to a root directory with OCI changeset semantics: reads each
 * entry with krgo's own tar reader (every byte kept), resolves it inside the root ({@link SafeRoot}), edits
 * the tree ({@link TreeEdits}), writes contents (small files on a second thread, {@link SmallFileWriter};
 * sparse files with their holes), and gives each entry its metadata ({@link EntryMetadata}). One instance
 * per tree; call {@link #finish()} after the last layer. Not thread-safe.
 */
public final class LayerApplier {
    private static final String WHITEOUT = ".wh.";
    private static final String OPAQUE = ".wh..wh..opq";
    private static final int BUFFER = 1 << 20;
    /** Chunks of BUFFER bytes decompressed ahead of the tar reader. */
    private static final int READ_AHEAD_CHUNKS = 4;
    private static final Set<StandardOpenOption> CREATE_NEW_WRITE =
            EnumSet.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);

    private final SafeRoot root;
    private final ApplyOptions options;
    private final boolean unicodeNames;
    private final byte[] buffer = new byte[BUFFER];
    private final CreateModes createModes;
    private final ImageIds imageIds;
    private final EntryMetadata metadata;
    private final TreeEdits edits;
    private LayerStats total = LayerStats.ZERO;
    private final ExpansionLimit expansion;
    /** What upper layers hide (null: write everything, e.g. when each layer's own state matters). */
    private final HiddenPaths hidden;
    private int layerIndex = -1;
    private long hiddenSkipped;
    /** Writes small new files on a second thread while this one parses on; created on first use. */
    private SmallFileWriter writer;
    /** Sees every regular file's content as it is written (null: nobody asks). */
    private final ContentTee tee;

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
        this.expansion = new ExpansionLimit(options.maxExpandedBytes());
        this.unicodeNames = "UTF-8".equalsIgnoreCase(System.getProperty("sun.jnu.encoding", "UTF-8"));
        this.createModes = new CreateModes(this.root.root(), options.privileged());
        this.imageIds = new ImageIds(this.root, () -> {
            if (writer != null) {
                writer.drain(); // /etc/passwd may still be on its way into the tree
            }
        });
        this.metadata = new EntryMetadata(this.root.root(), options.privileged(), createModes,
                new XattrWriter(options.privileged(), imageIds));
        this.edits = new TreeEdits(this.root, metadata, () -> {
            if (writer != null) {
                writer.drain();
            }
        });
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
     * describe its layers is refused with an {@link IntegrityException}.
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
        edits.beginLayer();
        imageIds.invalidate();
        Layer layer = new Layer(new TarReader(expansion.wrap(tarStream)));
        long xattrsBefore = metadata.xattrs().skipped();
        long aclsBefore = metadata.xattrs().aclsUnresolved();
        boolean ok = false;
        try {
            layer.readEntries();
            if (writer != null) {
                writer.drain();
            }
            ok = true;
        } finally {
            if (!ok && writer != null) {
                writer.abandon(); // nothing may write into the tree once the caller starts removing it
                writer = null;
            }
        }
        LayerStats stats = new LayerStats(layer.entries, layer.tar.position(), layer.devicesSkipped,
                metadata.xattrs().skipped() - xattrsBefore, metadata.xattrs().aclsUnresolved() - aclsBefore);
        total = total.plus(stats);
        return new LayerResult(edits.changes(), stats);
    }

    /** Sets directory modes and times, deepest first; call once after the last layer. */
    public void finish() throws IOException {
        if (writer != null) {
            writer.abandon(); // drained after every layer: only the idle thread is left
            writer = null;
        }
        metadata.finish();
    }

    /** The reading of one layer's entries. */
    private final class Layer implements SmallFileWriter.Target {
        final TarReader tar;
        final FileBodies bodies;
        final List<String> createdDirs = new ArrayList<>();
        long entries;
        long devicesSkipped;

        Layer(TarReader tar) {
            this.tar = tar;
            this.bodies = new FileBodies(tar, tee, buffer);
        }

        void readEntries() throws IOException {
            TarEntry e;
            while ((e = tar.next()) != null) {
                entries++;
                String name = ByteNames.decode(e.name());
                try {
                    entry(e, name);
                } catch (KrgoException ex) {
                    throw ex;
                } catch (IOException ex) {
                    throw new FilesystemException("entry '" + SafeRoot.printable(name) + "': " + ex, ex);
                }
            }
        }

        void entry(TarEntry e, String name) throws IOException {
            if (!unicodeNames && !isAscii(name)) {
                throw new FilesystemException("cannot create non-ASCII file name '" + name
                        + "': the JVM's file name encoding is not UTF-8; run with a UTF-8 locale (LC_ALL=C.UTF-8)");
            }
            List<String> comps = SafeRoot.components(name);
            String base = comps.isEmpty() ? "" : comps.get(comps.size() - 1);
            boolean whiteout = base.startsWith(WHITEOUT);
            if (writer != null && writer.hasPending()) {
                // Whatever this entry touches must first be as the entries before it left it.
                if (whiteout) {
                    writer.drain();
                } else {
                    writer.awaitPathAndAncestors(comps);
                    String link = e.kind() == TarEntry.Kind.HARDLINK ? ByteNames.decode(e.linkName()) : null;
                    if (link != null) {
                        writer.awaitPathAndAncestors(SafeRoot.components(link));
                    }
                }
            }
            if (whiteout) {
                String dir = String.join("/", comps.subList(0, comps.size() - 1));
                if (base.equals(OPAQUE)) {
                    edits.opaque(name);
                } else if (!base.startsWith(WHITEOUT + WHITEOUT)) {
                    edits.whiteout(name, dir, base.substring(WHITEOUT.length()));
                }
                // Other .wh..wh.* names are aufs bookkeeping (hardlink dirs): nothing to apply.
                return;
            }
            if (hidden != null && e.kind() != TarEntry.Kind.SYMLINK
                    && edits.skipHidden(hidden, layerIndex, name, comps, e.kind() == TarEntry.Kind.DIRECTORY)) {
                hiddenSkipped++;
                return;
            }
            createdDirs.clear();
            SafeRoot.Resolved r = root.resolve(name, true, createdDirs);
            for (String d : createdDirs) {
                edits.markWritten(d);
            }
            if (r.isRoot()) {
                if (e.kind() != TarEntry.Kind.DIRECTORY) {
                    throw new UnsafeImageException("entry '" + SafeRoot.printable(name) + "' would replace the root directory");
                }
                return; // the root's own metadata is the target directory's, not the image's
            }
            Path p = r.path();
            boolean created;
            switch (e.kind()) {
                case DIRECTORY -> created = edits.makeDir(r);
                case SYMLINK -> {
                    String target = ByteNames.decode(e.linkName());
                    if (target.isEmpty() || target.indexOf('\0') >= 0) {
                        throw new UnsafeImageException("entry '" + SafeRoot.printable(name) + "': invalid symlink target '"
                                + Printable.of(e.linkName()) + "'");
                    }
                    created = edits.create(r, () -> Files.createSymbolicLink(p, ByteNames.path(target)));
                }
                case HARDLINK -> {
                    String target = edits.hardlink(r, ByteNames.decode(e.linkName()), name);
                    if (target != null && tee != null) {
                        tee.linked(r.rel(), target);
                    }
                    edits.markWritten(r.rel());
                    return; // a hardlink shares its target's inode and metadata
                }
                case CHAR_DEVICE, BLOCK_DEVICE -> {
                    if (!options.privileged()) {
                        devicesSkipped++;
                        return;
                    }
                    int type = e.kind() == TarEntry.Kind.CHAR_DEVICE ? NativeFs.S_IFCHR : NativeFs.S_IFBLK;
                    created = edits.create(r, () -> NativeFs.mknod(p, type, e.mode(), e.devMajor(), e.devMinor()));
                }
                case FIFO -> created = edits.create(r, () -> NativeFs.mknod(p, NativeFs.S_IFIFO, e.mode(), 0, 0));
                case FILE -> {
                    if (regularFile(r, e, name)) {
                        return;
                    }
                    created = true;
                }
                default -> throw new IllegalStateException(e.kind().toString());
            }
            edits.markWritten(r.rel());
            metadata.apply(p, r.rel(), e, name, created);
        }

        /** Writes a regular file; true when its metadata is done too (created with its final mode). */
        boolean regularFile(SafeRoot.Resolved r, TarEntry e, String name) throws IOException {
            FileAttribute<?>[] mode = e.isSparse() ? CreateModes.NONE : createModes.forFile(e.mode());
            if (tee != null) {
                tee.file(r.rel(), e.realSize());
            }
            if (mode.length > 0 && e.size() <= SmallFileWriter.MAX_FILE && e.xattrs().isEmpty() && e.aclAccess() == null) {
                if (writer == null) {
                    writer = new SmallFileWriter();
                }
                writer.submit(this, r, e, name, mode);
                edits.markWritten(r.rel());
                return true;
            }
            Path p = r.path();
            edits.create(r, () -> {
                if (e.isSparse()) {
                    bodies.writeSparse(p, e);
                } else {
                    bodies.writeFile(p, e.size(), mode);
                }
            });
            if (mode.length == 0) {
                return false;
            }
            edits.markWritten(r.rel());
            metadata.ofNewFile(p, e, name);
            return true;
        }

        @Override
        public void readContent(byte[] into, int offset, int length) throws IOException {
            bodies.readContent(into, offset, length);
        }

        @Override
        public boolean tryWriteNew(SmallFileWriter.Job job) throws IOException {
            Path p = job.resolved().path();
            try (FileChannel ch = FileChannel.open(p, CREATE_NEW_WRITE, job.mode())) {
                ByteBuffer bb = ByteBuffer.wrap(job.ring(), job.offset(), job.length());
                while (bb.hasRemaining()) {
                    ch.write(bb);
                }
            } catch (FileAlreadyExistsException exists) {
                return false;
            }
            metadata.ofNewFile(p, job.entry(), job.name());
            return true;
        }

        @Override
        public void replaceAndWrite(SmallFileWriter.Job job) throws IOException {
            edits.replaceExisting(job.resolved());
            if (!tryWriteNew(job)) {
                throw new FileAlreadyExistsException(job.resolved().path().toString());
            }
        }

    }

    private static boolean isAscii(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) >= 0x80) {
                return false;
            }
        }
        return true;
    }
}
