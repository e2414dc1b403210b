package io.krgo.cli;

import java.io.Console;

/** Whether standard output is an interactive terminal, on every JDK krgo runs on. */
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
}
