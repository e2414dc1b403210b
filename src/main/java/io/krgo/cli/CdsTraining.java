package io.krgo.cli;

import java.io.OutputStream;
import java.io.PrintStream;

/**
 * Run once at build time under {@code -XX:ArchiveClassesAtExit}: loads the classes every krgo run needs
 * (picocli, the commands, Jackson) so the class-data-sharing archive covers them. Does no I/O beyond
 * printing help into a null stream.
 */
public final class CdsTraining {
    private CdsTraining() {
    }

    public static void main(String[] args) {
        PrintStream realOut = System.out;
        PrintStream nowhere = new PrintStream(OutputStream.nullOutputStream());
        System.setOut(nowhere);
        System.setErr(nowhere);
        try {
            Main.run("--help");
            Main.run("--version");
            for (String cmd : new String[] {"pull", "push", "commit", "inspect", "copy", "export", "tags", "digest", "login"}) {
                Main.run(cmd, "--help");
            }
            Main.run("pull", "--no-such-flag");
            io.krgo.reference.Reference.parse("registry.example.com:5000/a/b:tag");
            io.krgo.image.Manifest.parse(("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
                    + "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"sha256:"
                    + "0".repeat(64) + "\",\"size\":2},\"layers\":[]}").getBytes(java.nio.charset.StandardCharsets.UTF_8),
                    null);
        } finally {
            System.setOut(realOut);
        }
    }
}
