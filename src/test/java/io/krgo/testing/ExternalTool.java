package io.krgo.testing;

import java.util.List;

/** A real peer tool run as a command: {@link Tools} with the Debian package named from the program. */
public final class ExternalTool {
    private ExternalTool() {
    }

    /** Runs {@code cmd}, failing the test when it exits non-zero or is not installed (never skipping). */
    public static String run(String... cmd) {
        Tools.require(cmd[0], switch (cmd[0]) {
            case "mknod", "mkfifo" -> "coreutils";
            default -> cmd[0];
        });
        return Tools.run(List.of(cmd));
    }
}
