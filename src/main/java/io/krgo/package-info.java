/**
 * The facade: {@code Krgo} turns a request record (pull, push, run ...) into sources, sinks and the registry
 * client; the CLI and library users call it, it holds no format or protocol code of its own.
 */
package io.krgo;
