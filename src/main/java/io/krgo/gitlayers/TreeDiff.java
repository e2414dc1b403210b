package io.krgo.gitlayers;

import io.krgo.layer.FileInfo;
import io.krgo.layer.LayerChange;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What changed between two recorded tree states, as layer entries: pure, so it is tested without git or a
 * file system. A state maps each relative path to its {@link Recorded} metadata and blob id.
 */
final class TreeDiff {
    private TreeDiff() {
    }

    /** The layer entries that turn {@code old} into {@code now}. */
    static List<LayerChange> diff(SortedMap<String, Recorded> old, SortedMap<String, Recorded> now) {
        Set<String> added = new TreeSet<>();
        Set<String> whiteouts = new TreeSet<>();
        for (Map.Entry<String, Recorded> e : now.entrySet()) {
            Recorded before = old.get(e.getKey());
            FileInfo f = e.getValue().info();
            if (before == null) {
                added.add(e.getKey());
            } else if (before.info().type() != f.type()) {
                whiteouts.add(e.getKey()); // the old object (maybe a whole directory) goes first
                added.add(e.getKey());
            } else if (!f.sameMetadata(before.info())
                    || !Objects.equals(before.blob(), e.getValue().blob())) {
                // Directories too: a changed mtime (a child came or went) is part of reproducing DIR exactly.
                added.add(e.getKey());
            }
        }
        for (String path : old.keySet()) {
            if (!now.containsKey(path)) {
                whiteouts.add(path);
            }
        }
        // A whiteout below an already whited-out (deleted or replaced) path is redundant.
        whiteouts.removeIf(p -> hasAncestorIn(p, whiteouts));

        // Opaque directory: every old child of a surviving directory is gone and at least two would need
        // whiteouts; one marker is smaller and also says "replaced wholesale".
        Map<String, List<String>> oldChildren = new HashMap<>();
        for (String p : old.keySet()) {
            oldChildren.computeIfAbsent(parent(p), k -> new ArrayList<>()).add(p);
        }
        Set<String> opaque = new TreeSet<>();
        for (Map.Entry<String, List<String>> e : oldChildren.entrySet()) {
            String d = e.getKey();
            if (d.isEmpty() || whiteouts.contains(d) || hasAncestorIn(d, whiteouts)) {
                continue;
            }
            Recorded nowDir = now.get(d);
            if (nowDir == null || nowDir.info().type() != FileInfo.Type.DIR) {
                continue;
            }
            List<String> kids = e.getValue();
            if (kids.size() >= 2 && kids.stream().noneMatch(now::containsKey)
                    && kids.stream().allMatch(whiteouts::contains)) {
                opaque.add(d);
            }
        }
        whiteouts.removeIf(p -> opaque.contains(parent(p)));

        // Hardlink groups: a link in the layer needs every name of its inode in the layer too.
        Map<String, List<String>> namesOfInode = new HashMap<>();
        for (Recorded r : now.values()) {
            if (r.info().hardlinked()) {
                namesOfInode.computeIfAbsent(r.info().dev() + ":" + r.info().ino(), k -> new ArrayList<>())
                        .add(r.info().path());
            }
        }
        for (String p : new ArrayList<>(added)) {
            FileInfo f = now.get(p).info();
            if (f.hardlinked()) {
                added.addAll(namesOfInode.getOrDefault(f.dev() + ":" + f.ino(), List.of()));
            }
        }

        List<LayerChange> out = new ArrayList<>();
        opaque.forEach(p -> out.add(new LayerChange.Opaque(p)));
        whiteouts.forEach(p -> out.add(new LayerChange.Whiteout(p)));
        added.forEach(p -> out.add(new LayerChange.Add(p)));
        return out;
    }

    private static boolean hasAncestorIn(String path, Set<String> set) {
        for (String p = parent(path); !p.isEmpty(); p = parent(p)) {
            if (set.contains(p)) {
                return true;
            }
        }
        return false;
    }

    private static String parent(String path) {
        int slash = path.lastIndexOf('/');
        return slash < 0 ? "" : path.substring(0, slash);
    }

    /** Removes {@code path} and everything below it from {@code state}. */
    static void removeSubtree(TreeMap<String, Recorded> state, String path) {
        state.remove(path);
        state.subMap(path + "/", path + "0").clear(); // '0' is the character after '/'
    }
}
