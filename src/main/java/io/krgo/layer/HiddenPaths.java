package io.krgo.layer;

import io.krgo.compress.Decompression;
import io.krgo.tar.ByteNames;
import io.krgo.tar.TarEntry;
import io.krgo.tar.TarReader;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What upper layers will remove or replace, learnt by reading their tar headers ahead of time, so that
 * a lower layer can skip writing files that would only be deleted again (an upper layer's whiteout, opaque
 * directory, or non-directory entry at the same path). Purely an optimisation: knowledge arrives while
 * lower layers are applied and whatever is not known yet is simply written. Which entries may be skipped
 * safely is decided by {@link LayerApplier} (only names that resolve without symlinks; symlinks are
 * always written). Thread-safe: one scanner thread adds, the applying thread reads.
 */
public final class HiddenPaths {
    /** Path (root-relative, textual) → highest layer index that removes or replaces it and its subtree. */
    private final Map<String, Integer> subtrees = new ConcurrentHashMap<>();
    /** Directory → highest layer index that makes it opaque (its lower children are removed). */
    private final Map<String, Integer> children = new ConcurrentHashMap<>();
    private final AtomicInteger applying = new AtomicInteger(-1);
    private volatile boolean empty = true;

    /** Notes that layer {@code index} is now being applied: scanning it or lower layers is pointless. */
    void applying(int index) {
        applying.set(index);
    }

    /** The layer index being applied, -1 before the first. */
    public int applyingLayer() {
        return applying.get();
    }

    /**
     * Reads the tar headers of layer {@code index} (the blob need not be verified: a wrong byte here can
     * only cost an optimisation, the applying pass verifies) and records what it hides. Stops early when
     * the applier reaches this layer. Errors end the scan quietly: the applying pass reports them.
     */
    public void scan(int index, InputStream blob, String mediaType, boolean privileged) {
        try (InputStream in = Decompression.open(blob, mediaType)) {
            TarReader tar = new TarReader(in);
            TarEntry e;
            Set<String> written = new HashSet<>();
            while (applying.get() < index && (e = tar.next()) != null) {
                note(index, e, privileged, written);
            }
        } catch (IOException | RuntimeException ignored) {
            // the applying pass meets the same bytes and reports them properly
        }
    }

    private void note(int index, TarEntry e, boolean privileged, Set<String> written) {
        List<String> comps;
        String name = ByteNames.decode(e.name());
        try {
            comps = SafeRoot.components(name);
        } catch (RuntimeException invalid) {
            return;
        }
        if (comps.isEmpty() || comps.contains("..")) {
            return;
        }
        String base = comps.get(comps.size() - 1);
        String dir = String.join("/", comps.subList(0, comps.size() - 1));
        if (base.startsWith(".wh.")) {
            if (base.equals(".wh..wh..opq")) {
                add(children, dir, index);
            } else if (!base.startsWith(".wh..wh.") && base.length() > 4 && !base.equals(".wh..")) {
                String victim = dir.isEmpty() ? base.substring(4) : dir + "/" + base.substring(4);
                // A whiteout of what this layer itself wrote is ignored by the applier: it hides nothing.
                if (!written.contains(victim)) {
                    add(subtrees, victim, index);
                }
            }
            return;
        }
        String path = String.join("/", comps);
        for (int i = path.indexOf('/'); i > 0; i = path.indexOf('/', i + 1)) {
            written.add(path.substring(0, i));
        }
        written.add(path);
        if (e.kind() == TarEntry.Kind.DIRECTORY) {
            return; // directories keep what is below them
        }
        if ((e.kind() == TarEntry.Kind.CHAR_DEVICE || e.kind() == TarEntry.Kind.BLOCK_DEVICE) && !privileged) {
            return; // not created rootless: the lower entry stays
        }
        if (e.kind() == TarEntry.Kind.HARDLINK) {
            try {
                if (String.join("/", SafeRoot.components(ByteNames.decode(e.linkName()))).equals(path)) {
                    return; // a link to itself changes nothing
                }
            } catch (RuntimeException invalid) {
                return;
            }
        }
        add(subtrees, path, index);
    }

    private void add(Map<String, Integer> map, String path, int index) {
        map.merge(path, index, Math::max);
        empty = false;
    }

    /**
     * For an entry of layer {@code layer} at the textual path {@code comps}: the directory that must exist
     * for the result to equal applying it (the parent of the hiding path, or the opaque directory), or
     * null when no upper layer is known to hide it.
     */
    String keepIfHidden(List<String> comps, int layer) {
        if (empty || comps.isEmpty()) {
            return null;
        }
        StringBuilder prefix = new StringBuilder();
        String parent = "";
        for (int i = 0; i < comps.size(); i++) {
            String c = comps.get(i);
            if (c.equals("..")) {
                return null;
            }
            if (i > 0) {
                prefix.append('/');
            }
            prefix.append(c);
            String p = prefix.toString();
            Integer sub = subtrees.get(p);
            if (sub != null && sub > layer) {
                return parent;
            }
            if (i < comps.size() - 1) {
                Integer opq = children.get(p);
                if (opq != null && opq > layer) {
                    return p;
                }
            }
            parent = p;
        }
        return null;
    }

    /** A hardlink names a file that was skipped as hidden: the layers must be applied again without skipping. */
    public static final class SkippedLinkTarget extends RuntimeException {
        SkippedLinkTarget() {
            super("a hardlink names a file skipped as hidden by an upper layer", null, false, false);
        }
    }
}
