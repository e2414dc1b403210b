package io.krgo.layer;

import java.io.IOException;

/**
 * Sees the content of every regular file a {@link LayerApplier} writes, as it writes it, so a listener
 * (the git-layers sink) need not read the files back. Called on the applier's reading thread, in tar order;
 * paths are root-relative as resolved by the applier (the same spelling as {@link AppliedChanges#written()}).
 * An implementation copies what it keeps: the arrays are the applier's and are reused.
 */
public interface ContentTee {
    /** A regular file is created at {@code path}; exactly {@code size} bytes of {@link #content} follow. */
    void file(String path, long size) throws IOException;

    /** The next bytes of the file last announced by {@link #file}. */
    void content(byte[] b, int off, int len) throws IOException;

    /** {@code path} is now a hardlink to {@code target}: it has whatever content {@code target} has now. */
    void linked(String path, String target) throws IOException;
}
