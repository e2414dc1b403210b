package io.krgo.runtime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** This machine's host name, as the kernel has it (what {@code hostname} prints). */
final class HostName {
    private HostName() {
    }

    static String get() {
        try {
            String n = Files.readString(Path.of("/proc/sys/kernel/hostname")).strip();
            if (!n.isEmpty()) {
                return n;
            }
        } catch (IOException e) {
            // fall through
        }
        return "localhost";
    }
}
