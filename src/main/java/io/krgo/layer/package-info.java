/**
 * Layers as trees: a tar applied into a rootfs through {@code SafeRoot} (changeset rules, owners, modes, xattrs,
 * times, sparse files) and a tree's changes written as a deterministic tar ({@code LayerWriter}).
 */
package io.krgo.layer;
