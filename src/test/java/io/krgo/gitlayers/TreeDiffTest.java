package io.krgo.gitlayers;

import io.krgo.layer.FileInfo;
import io.krgo.layer.LayerChange;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/** The layer entries between two recorded states, without git or a file system. */
class TreeDiffTest {
    private long inode = 100;

    @Test
    void unchangedStateGivesNoEntries() {
        TreeMap<String, Recorded> old = state(dir("etc", 1), file("etc/hosts", "aa", 1));
        assertThat(TreeDiff.diff(old, new TreeMap<>(old))).isEmpty();
    }

    @Test
    void changedContentAndNewFilesAreAdded() {
        TreeMap<String, Recorded> old = state(dir("etc", 1), file("etc/hosts", "aa", 1));
        TreeMap<String, Recorded> now = state(dir("etc", 2), file("etc/hosts", "bb", 1), file("etc/motd", "cc", 1));
        assertThat(TreeDiff.diff(old, now)).containsExactly(new LayerChange.Add("etc"),
                new LayerChange.Add("etc/hosts"), new LayerChange.Add("etc/motd"));
    }

    @Test
    void aDeletedDirectoryIsOneWhiteoutAndAnEmptiedOneIsOpaque() {
        TreeMap<String, Recorded> old = state(dir("a", 1), file("a/x", "1", 1), file("a/y", "2", 1),
                dir("b", 1), file("b/z", "3", 1));
        TreeMap<String, Recorded> now = state(dir("a", 1));
        assertThat(TreeDiff.diff(old, now)).containsExactly(new LayerChange.Opaque("a"),
                new LayerChange.Whiteout("b"));
    }

    @Test
    void aTypeChangeWhitesOutTheOldObjectFirst() {
        TreeMap<String, Recorded> old = state(dir("d", 1), file("d/f", "1", 1));
        TreeMap<String, Recorded> now = state(file("d", "2", 1));
        List<LayerChange> changes = TreeDiff.diff(old, now);
        assertThat(changes).containsExactly(new LayerChange.Whiteout("d"), new LayerChange.Add("d"));
    }

    @Test
    void removeSubtreeKeepsSiblingsWithTheSamePrefix() {
        TreeMap<String, Recorded> s = state(dir("a", 1), file("a/x", "1", 1), file("a-b", "2", 1),
                file("a0", "3", 1));
        TreeDiff.removeSubtree(s, "a");
        assertThat(s.keySet()).containsExactly("a-b", "a0");
    }

    private static TreeMap<String, Recorded> state(Recorded... rs) {
        TreeMap<String, Recorded> m = new TreeMap<>();
        for (Recorded r : rs) {
            m.put(r.info().path(), r);
        }
        return m;
    }

    private Recorded dir(String path, long mtime) {
        return new Recorded(info(path, FileInfo.Type.DIR, 0755, mtime), null);
    }

    private Recorded file(String path, String blob, long mtime) {
        return new Recorded(info(path, FileInfo.Type.FILE, 0644, mtime), blob);
    }

    private FileInfo info(String path, FileInfo.Type type, int mode, long mtime) {
        return new FileInfo(path, type, mode, 0, 0, 0, mtime, 0, 0, null, new TreeMap<>(), 1, inode++, 1, mtime);
    }
}
