package io.krgo.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * cosign-style key pairs, signatures and encrypted key files made independently of krgo: {@code cosign_keys.py}
 * (beside this class; its docstring lists the commands) run by Debian's python3 with python3-cryptography and
 * python3-nacl. The path is fixed: the PATH's python3 may not be Debian's.
 */
public final class CosignKeys {
    private static final String PYTHON = "/usr/bin/python3";
    private final Path script;

    private CosignKeys(Path script) {
        this.script = script;
    }

    /** Copies the script into {@code dir}; fails naming the Debian packages when python3's modules are missing. */
    public static CosignKeys in(Path dir) {
        Tools.Result probe = Tools.runAllowingFailure(List.of(PYTHON, "-c", "import nacl.secret, cryptography"),
                Map.of());
        if (probe.exitCode() != 0) {
            throw new AssertionError("Debian's python3 with nacl and cryptography is required by this test:"
                    + " apt-get install -y python3-nacl python3-cryptography (" + probe.stderr().strip() + ")");
        }
        Path script = dir.resolve("cosign_keys.py");
        try (InputStream in = CosignKeys.class.getResourceAsStream("cosign_keys.py")) {
            if (in == null) {
                throw new AssertionError("cosign_keys.py is missing from the test resources");
            }
            Files.copy(in, script);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new CosignKeys(script);
    }

    /** {@code cosign_keys.py args...}; fails the test when it exits non-zero; returns its stdout. */
    public String run(String... args) {
        return Tools.run(command(args));
    }

    /** The same, returning a failure too (for the checks that must fail). */
    public Tools.Result runAllowingFailure(String... args) {
        return Tools.runAllowingFailure(command(args), Map.of());
    }

    private List<String> command(String... args) {
        List<String> cmd = new ArrayList<>(List.of(PYTHON, script.toString()));
        cmd.addAll(List.of(args));
        return cmd;
    }
}
