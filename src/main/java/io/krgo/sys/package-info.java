/**
 * Native calls through JNA, each with a plain-Java fallback: file system calls Java lacks ({@code NativeFs}),
 * libcrypto SHA digests ({@code NativeDigests}), the ISA-L library, tree deletion ({@code Trees}), and terminal
 * window sizes ({@code TerminalSize}).
 */
package io.krgo.sys;
