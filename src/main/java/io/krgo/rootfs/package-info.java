/**
 * The pull-into-directory sink ({@code RootfsWriter}: concurrent downloads, staging, atomic renames) and the
 * metadata kept beside a rootfs ({@code RootfsMetadata} owns {@code .DIR.krgo/}); a directory as an image.
 */
package io.krgo.rootfs;
