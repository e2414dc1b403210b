package io.krgo.testing;

import java.util.ArrayList;
import java.util.List;

/** The real peer {@code umoci} (Debian package umoci), run as a command. */
public final class Umoci {
    private Umoci() {
    }

    /** Runs {@code umoci ARGS...}; fails the test with umoci's stderr. */
    public static String run(String... args) {
        Tools.require("umoci", "umoci");
        List<String> cmd = new ArrayList<>(List.of("umoci"));
        cmd.addAll(List.of(args));
        return Tools.run(cmd);
    }
}
