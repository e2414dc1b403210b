/**
 * Tar read byte-exact ({@code TarReader}: ustar, PAX, GNU, sparse, star, v7) and written deterministically
 * ({@code TarWriter}); names as bytes ({@code ByteNames}). Depends only on {@code error}.
 */
package io.krgo.tar;
