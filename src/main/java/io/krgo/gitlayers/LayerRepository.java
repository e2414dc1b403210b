package io.krgo.gitlayers;

import io.krgo.error.FilesystemException;
import io.krgo.error.UsageException;
import io.krgo.image.Digest;
import io.krgo.layer.FileInfo;
import io.krgo.layer.OwnerRead;
import io.krgo.tar.ByteNames;
import org.eclipse.jgit.dircache.DirCache;
import org.eclipse.jgit.dircache.DirCacheBuilder;
import org.eclipse.jgit.dircache.DirCacheEntry;
import org.eclipse.jgit.internal.storage.file.FileRepository;
import org.eclipse.jgit.internal.storage.file.ObjectDirectory;
import org.eclipse.jgit.internal.storage.file.PackInserter;
import org.eclipse.jgit.lib.CommitBuilder;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.PersonIdent;
import org.eclipse.jgit.lib.Ref;
import org.eclipse.jgit.lib.RefUpdate;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.lib.StoredConfig;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;
import org.eclipse.jgit.util.FS;
import org.eclipse.jgit.util.FS_POSIX;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Date;
import java.util.List;
import java.util.SortedMap;
import java.util.TimeZone;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The git repository of a rootfs pulled with git layers: branch {@code layer_<n>_<12 hex of the layer digest>}
 * per layer, HEAD on the checked-out one. The only class here that talks to JGit's repository API, and the
 * only one besides {@link PackWriter} that uses its internal file-storage classes (pack inserter, object
 * directory): a JGit upgrade that moves them breaks these two files only.
 */
final class LayerRepository implements AutoCloseable {
    private static final Pattern BRANCH = Pattern.compile("layer_(\\d+)_([0-9a-f]{12})");
    private static final int PACK_COMPRESSION_LEVEL = 0;
    private static final PersonIdent IDENT_TEMPLATE = new PersonIdent("krgo", "krgo@localhost");

    private final Repository repo;
    private final Path gitDir;

    private LayerRepository(Repository repo, Path gitDir) {
        this.repo = repo;
        this.gitDir = gitDir;
    }

    /** Opens the repository at {@code gitDir} whose work tree is {@code dir}; creates it first with {@code create}. */
    static LayerRepository open(Path gitDir, Path dir, boolean create) throws IOException {
        if (create) {
            // Created bare, then pointed at DIR: creating a non-bare repository would create DIR itself,
            // which a pull only creates by its final rename.
            // JGit probes whether the file system keeps an executable bit, and asks a shell for the umask to
            // do so (a fork and exec, ~0.1 s); any usual umask gives the same answer, so it is given one.
            FS fs = FS.DETECTED.newInstance();
            if (fs instanceof FS_POSIX posix) {
                posix.setUmask(0022);
            }
            try (Repository bare = new FileRepositoryBuilder().setGitDir(gitDir.toFile()).setFS(fs).setBare().build()) {
                bare.create(true);
                StoredConfig cfg = bare.getConfig();
                cfg.setBoolean("core", null, "bare", false);
                // Relative, so moving DIR together with its metadata keeps `git --git-dir=... status` working.
                cfg.setString("core", null, "worktree", "../../" + dir.getFileName());
                cfg.setBoolean("core", null, "filemode", true);
                cfg.setBoolean("core", null, "symlinks", true);
                cfg.setBoolean("gc", null, "auto", false);
                cfg.save();
            }
        }
        Repository repo = new FileRepositoryBuilder().setGitDir(gitDir.toFile()).setWorkTree(dir.toFile())
                .setMustExist(true).build();
        return new LayerRepository(repo, gitDir);
    }

    /** {@code layer_<index>_<12 hex>}. */
    static String branchName(int index, Digest layerDigest) {
        return "layer_" + index + "_" + layerDigest.shortHex();
    }

    /** The layer number of a krgo layer branch. */
    static int layerNumber(String branch) {
        Matcher m = BRANCH.matcher(branch);
        if (!m.matches()) {
            throw new UsageException("branch '" + branch + "' is not a krgo layer branch (layer_N_HEX)");
        }
        return Integer.parseInt(m.group(1));
    }

    /** The layer branches in layer order (numeric, so layer_10 follows layer_9). */
    List<String> branches() throws IOException {
        List<String> names = new ArrayList<>();
        for (Ref r : repo.getRefDatabase().getRefsByPrefix(Constants.R_HEADS)) {
            String name = r.getName().substring(Constants.R_HEADS.length());
            if (BRANCH.matcher(name).matches()) {
                names.add(name);
            }
        }
        names.sort(Comparator.comparingInt(LayerRepository::layerNumber));
        return List.copyOf(names);
    }

    /** The checked-out branch (HEAD's target). */
    String currentBranch() throws IOException {
        return repo.getBranch();
    }

    ObjectId head() throws IOException {
        return repo.resolve(Constants.HEAD);
    }

    /**
     * An inserter that writes one pack instead of one loose object file per path: far fewer files and syscalls.
     * Stored, not deflated: deflating every blob single-threaded made pull -g ~2-3x slower than a plain
     * pull (measured: 340 MB / 14k files, extract ~1.2-5 s, level 1 +11 s, level 0 +5 s). The repository
     * is then about the size of the content; `git gc` compacts it when space matters more than time.
     */
    ObjectInserter newPackInserter() {
        PackInserter ins = ((FileRepository) repo).getObjectDatabase().newPackInserter();
        ins.checkExisting(true);
        ins.setCompressionLevel(PACK_COMPRESSION_LEVEL);
        return ins;
    }

    /** Makes packs written beside the repository ({@code finished}, and {@code pack}) part of its objects. */
    void addPacks(List<Path> finished, PackWriter pack) throws IOException {
        ObjectDirectory db = ((FileRepository) repo).getObjectDatabase();
        for (Path full : finished) {
            db.openPack(full.toFile());
        }
        pack.registerIn(db);
    }

    /** Stores {@code file}'s {@code size} bytes as a blob; returns its id. */
    static String insertFile(ObjectInserter ins, Path file, long size) throws IOException {
        try (InputStream in = OwnerRead.open(file)) {
            return ins.insert(Constants.OBJ_BLOB, size, in).name();
        }
    }

    /** Builds the index from {@code state}, writes tree + commit, points {@code branch} and HEAD at it. */
    ObjectId commitTree(ObjectInserter ins, SortedMap<String, Recorded> state, ObjectId parent, String branch,
                        String message, Instant when, boolean writeIndex) throws IOException {
        DirCache index = writeIndex ? DirCache.lock(repo.getIndexFile(), repo.getFS()) : DirCache.newInCore();
        try {
            DirCacheBuilder builder = index.builder();
            for (Recorded r : state.values()) {
                if (r.blob() == null) {
                    continue;
                }
                DirCacheEntry e;
                try {
                    e = new DirCacheEntry(ByteNames.encode(r.info().path()));
                } catch (IllegalArgumentException invalid) {
                    continue; // e.g. a .git path component: kept in the metadata only (see GitLayers)
                }
                FileInfo f = r.info();
                e.setFileMode(f.type() == FileInfo.Type.SYMLINK ? FileMode.SYMLINK
                        : (f.mode() & 0100) != 0 ? FileMode.EXECUTABLE_FILE : FileMode.REGULAR_FILE);
                e.setObjectId(ObjectId.fromString(r.blob()));
                e.setLength(f.type() == FileInfo.Type.FILE ? f.size() : ByteNames.encode(f.linkTarget()).length);
                e.setLastModified(Instant.ofEpochSecond(0, f.mtime()));
                builder.add(e);
            }
            builder.finish();
            ObjectId tree = index.writeTree(ins);
            CommitBuilder c = new CommitBuilder();
            c.setTreeId(tree);
            if (parent != null) {
                c.setParentId(parent);
            }
            PersonIdent ident = new PersonIdent(IDENT_TEMPLATE, Date.from(when), TimeZone.getTimeZone("UTC"));
            c.setAuthor(ident);
            c.setCommitter(ident);
            c.setMessage(message);
            ObjectId commit = ins.insert(c);
            ins.flush();
            if (writeIndex) {
                index.write();
                if (!index.commit()) {
                    throw new FilesystemException("cannot update the git index in " + gitDir);
                }
            }
            RefUpdate ru = repo.updateRef(Constants.R_HEADS + branch);
            ru.setNewObjectId(commit);
            ru.setRefLogMessage("krgo: " + branch, false);
            check(ru.forceUpdate(), branch);
            RefUpdate head = repo.updateRef(Constants.HEAD);
            check(head.link(Constants.R_HEADS + branch), "HEAD");
            return commit;
        } finally {
            if (writeIndex) {
                index.unlock();
            }
        }
    }

    private void check(RefUpdate.Result r, String what) {
        switch (r) {
            case NEW, FORCED, FAST_FORWARD, NO_CHANGE -> { }
            default -> throw new FilesystemException("cannot update " + what + " in " + gitDir + ": " + r);
        }
    }

    @Override
    public void close() {
        repo.close();
    }
}
