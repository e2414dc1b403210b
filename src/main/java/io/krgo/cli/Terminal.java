package io.krgo.cli;

import com.sun.jna.Library;
import com.sun.jna.Native;

import java.io.Console;

/** Whether standard output (or input) is an interactive terminal, on every JDK krgo runs on. */
final class Terminal {
    private Terminal() {
    }

    static boolean interactive() {
        Console c = System.console();
        if (c == null || "dumb".equals(System.getenv("TERM"))) {
            return false;
        }
        // From JDK 22 System.console() exists even when not attached to a terminal; isTerminal() tells.
        try {
            return (Boolean) Console.class.getMethod("isTerminal").invoke(c);
        } catch (NoSuchMethodException e) {
            return true; // JDK < 22: a console means a terminal
        } catch (ReflectiveOperationException e) {
            return false;
        }
    }

    private interface LibC extends Library {
        int isatty(int fd);
    }

    /**
     * Whether standard input is a terminal (isatty(0)): {@code run -t} hands it to the runtime, which copies
     * it to the container's terminal. System.console() cannot tell: it also wants standard output to be one.
     */
    static boolean stdinIsTerminal() {
        return Native.load("c", LibC.class).isatty(0) == 1;
    }

    /** Whether standard output is a terminal (isatty(1)), whatever standard input is. */
    static boolean stdoutIsTerminal() {
        return Native.load("c", LibC.class).isatty(1) == 1;
    }
}
