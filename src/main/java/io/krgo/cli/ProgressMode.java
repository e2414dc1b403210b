package io.krgo.cli;

/** How pull shows progress: redrawn per-layer lines on a terminal, or one line per event. */
enum ProgressMode {
    /** tty when standard output is an interactive terminal, else plain. */
    AUTO,
    /** One line per event (logs, pipes, CI). */
    PLAIN,
    /** Per-layer lines redrawn in place with ANSI escapes, even when not detected as a terminal. */
    TTY
}
