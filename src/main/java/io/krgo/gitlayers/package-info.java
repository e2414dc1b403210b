/**
 * A rootfs kept as git branches, one per layer ({@code pull -g}), and {@code commit} of its changes as a new
 * layer: pulling into branches, the pure tree diff, the JGit repository, metadata git cannot hold.
 */
package io.krgo.gitlayers;
