/**
 * The command line (picocli): one class per command, flags shared across commands, output and progress,
 * and the one exception to exit code mapping ({@code ExitCodes}).
 */
package io.krgo.cli;
