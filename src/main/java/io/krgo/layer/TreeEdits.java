package io.krgo.layer;

import io.krgo.sys.Trees;
import io.krgo.error.UnsafeImageException;
import io.krgo.tar.ByteNames;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The OCI changeset rules for one tree, layer by layer (umoci's behaviour is the reference): a new
 * non-directory replaces whatever is at its name (a directory with its whole tree), a directory declared
 * again keeps its contents, hardlinks are resolved inside the root, a whiteout removes what lower layers
 * put at its name, an opaque directory loses what lower layers put in it but keeps what this layer writes,
 * in either tar order. Keeps the per-layer record of what was written and removed.
 */
final class TreeEdits {
    @FunctionalInterface
    interface IoAction {
        void run() throws IOException;
    }

    private final SafeRoot root;
    private final EntryMetadata metadata;
    /** Finishes pending small-file writes: before a tree they may be writing into is removed. */
    private final IoAction drainWrites;
    /** Non-directories skipped because an upper layer hides them: a hardlink to one cannot be made. */
    private final Set<String> skippedFiles = new HashSet<>();
    private List<String> written = new ArrayList<>();
    private final Set<String> writtenSet = new HashSet<>();
    /** Every ancestor of a written path: what an opaque directory must keep. */
    private final Set<String> writtenAncestors = new HashSet<>();
    private List<String> removed = new ArrayList<>();

    TreeEdits(SafeRoot root, EntryMetadata metadata, IoAction drainWrites) {
        this.root = root;
        this.metadata = metadata;
        this.drainWrites = drainWrites;
    }

    /** Starts the record of a new layer. */
    void beginLayer() {
        written = new ArrayList<>();
        writtenSet.clear();
        writtenAncestors.clear();
        removed = new ArrayList<>();
    }

    AppliedChanges changes() {
        return new AppliedChanges(written, removed);
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

    /**
     * Skips an entry an upper layer removes or replaces anyway. Only when its name resolves without a
     * symlink (then the upper layer's name means the same file); symlinks are never skipped, as a later
     * entry may write through one to a place nobody hides. The directories above what the upper layer
     * removes are created as applying would, so the result is the same.
     *
     * @return true when the entry is not to be written
     */
    boolean skipHidden(HiddenPaths hidden, int layer, String name, List<String> comps, boolean directory) {
        String keep = hidden.keepIfHidden(comps, layer);
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
            List<String> created = new ArrayList<>();
            root.resolve(keep + "/-", true, created);
            created.forEach(this::markWritten);
        }
        if (!directory) {
            skippedFiles.add(textual);
        }
        return true;
    }

    /** Creates a non-directory; whatever is there already (file, link or directory tree) is replaced. */
    boolean create(SafeRoot.Resolved r, IoAction make) throws IOException {
        try {
            make.run();
        } catch (FileAlreadyExistsException exists) {
            replaceExisting(r);
            make.run();
        }
        return true;
    }

    void replaceExisting(SafeRoot.Resolved r) throws IOException {
        BasicFileAttributes a = Files.readAttributes(r.path(), BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        if (a.isDirectory()) {
            drainWrites.run(); // files of this layer may still be on their way into the tree removed here
            removeTree(r.path(), r.rel());
        } else {
            Files.delete(r.path()); // a file or a symlink: no known directory changes
        }
    }

    /** @return true when the directory was created, false when it existed (declared again: contents kept) */
    boolean makeDir(SafeRoot.Resolved r) throws IOException {
        try {
            Files.createDirectory(r.path());
        } catch (FileAlreadyExistsException exists) {
            if (Files.isDirectory(r.path(), LinkOption.NOFOLLOW_LINKS)) {
                return false;
            }
            Files.delete(r.path()); // not a directory: no known directory changes
            removed.add(r.rel());
            Files.createDirectory(r.path());
        }
        root.noteDirectory(r.rel());
        return true;
    }

    /** @return the target's root-relative path, or null when the link names itself (nothing to do) */
    String hardlink(SafeRoot.Resolved r, String linkName, String entry) throws IOException {
        if (linkName == null || linkName.isEmpty()) {
            throw new UnsafeImageException("entry '" + SafeRoot.printable(entry) + "': hardlink without a target");
        }
        SafeRoot.Resolved target = root.resolve(linkName, false, null);
        if (skippedFiles.contains(target.rel())) {
            throw new HiddenPaths.SkippedLinkTarget();
        }
        BasicFileAttributes a;
        try {
            a = Files.readAttributes(target.path(), BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException missing) {
            throw new UnsafeImageException("entry '" + SafeRoot.printable(entry) + "': hardlink target '"
                    + SafeRoot.printable(linkName) + "' does not exist in the image");
        }
        if (a.isDirectory() || target.isRoot()) {
            throw new UnsafeImageException("entry '" + SafeRoot.printable(entry) + "': hardlink to a directory");
        }
        if (target.rel().equals(r.rel())) {
            return null;
        }
        create(r, () -> Files.createLink(r.path(), target.path()));
        return target.rel();
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
        removeTree(r.path(), r.rel());
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
        clearLower(dir, dirRel);
    }

    private void clearLower(Path dir, String dirRel) throws IOException {
        List<Path> children = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            ds.forEach(children::add);
        }
        for (Path child : children) {
            String name = ByteNames.name(child.getFileName());
            String rel = dirRel.isEmpty() ? name : dirRel + "/" + name;
            if (writtenSet.contains(rel) || writtenAncestors.contains(rel)) {
                if (Files.isDirectory(child, LinkOption.NOFOLLOW_LINKS)) {
                    clearLower(child, rel);
                }
            } else {
                removeTree(child, rel);
            }
        }
    }

    private void removeTree(Path path, String rel) throws IOException {
        Trees.deleteRecursively(path);
        metadata.forgetDirs(rel);
        root.forget(rel);
        removed.add(rel);
    }
}
