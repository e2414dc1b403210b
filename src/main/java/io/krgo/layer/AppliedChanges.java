package io.krgo.layer;

import java.util.List;

/**
 * What applying one layer did to a tree, as root-relative paths with '/' separators and no leading '/'.
 *
 * @param written paths created or replaced by the layer's entries, in tar order (directories included)
 * @param removed paths whose whole subtree a whiteout or an opaque directory removed, or that an entry
 *                of another type replaced
 */
public record AppliedChanges(List<String> written, List<String> removed) {
    public AppliedChanges {
        written = List.copyOf(written);
        removed = List.copyOf(removed);
    }
}
