package io.krgo.gitlayers;

import io.krgo.layer.FileInfo;

/**
 * One path's recorded state in a layer: everything the tar knows ({@link FileInfo}) plus the git blob id
 * of its content (regular files and symlink targets; null otherwise).
 */
record Recorded(FileInfo info, String blob) {
}
