/**
 * Native calls through JNA, each with a plain-Java fallback: file system calls Java lacks ({@code NativeFs}),
 * libcrypto SHA digests ({@code NativeDigests}), the ISA-L library, and tree deletion ({@code Trees}).
 */
package io.krgo.sys;
