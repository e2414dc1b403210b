package io.krgo.cli;

import java.util.logging.ConsoleHandler;
import java.util.logging.Formatter;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/** {@code --debug}: shows krgo's HTTP log (method, URL without query, status, time) on stderr. */
final class DebugLog {
    /**
     * Held here: java.util.logging keeps loggers only weakly, and a garbage collection between enable() and
     * the first exchange dropped the level and handler set below (--debug before the subcommand printed no
     * HTTP lines).
     */
    private static final Logger HTTP = Logger.getLogger("io.krgo.http");

    private DebugLog() {
    }

    static void enable() {
        System.setProperty(io.krgo.registry.RegistryClient.HTTP_LOG_PROPERTY, "true");
        Logger http = HTTP;
        http.setLevel(Level.FINE);
        http.setUseParentHandlers(false);
        ConsoleHandler h = new ConsoleHandler(); // writes to System.err
        h.setLevel(Level.FINE);
        h.setFormatter(new Formatter() {
            @Override
            public String format(LogRecord r) {
                return "debug: " + r.getMessage() + System.lineSeparator();
            }
        });
        http.addHandler(h);
    }
}
