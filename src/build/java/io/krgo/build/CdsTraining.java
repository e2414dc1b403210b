package io.krgo.build;

import io.krgo.cli.Main;
import io.krgo.sys.Trees;

import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Run once at build time under {@code -XX:ArchiveClassesAtExit} (started by the jar's main class with
 * {@code -Dkrgo.cds.training}, so this build-only code is neither in the jar nor on the class path the archive
 * records): runs what users run, through
 * {@link Main#run}, so the class-data-sharing archive holds the classes those runs load: the help of every
 * command (and the whole command tree) and, through {@link PipelineTraining}, the real commands against a
 * throw-away in-process registry. Its output goes nowhere; what it writes is deleted.
 */
public final class CdsTraining {
    private CdsTraining() {
    }

    public static void main(String[] args) throws Exception {
        PrintStream realOut = System.out;
        PrintStream realErr = System.err;
        PrintStream nowhere = new PrintStream(OutputStream.nullOutputStream());
        System.setOut(nowhere);
        System.setErr(nowhere);
        Path work = Files.createTempDirectory("krgo-cds-training");
        try {
            Main.run("--help");
            Main.run("--version");
            Main.run("help"); // the whole command tree
            for (String name : Main.subcommandNames()) {
                Main.run(name, "--help");
            }
            Main.run("pull", "--no-such-flag");
            PipelineTraining.run(work);
        } catch (Exception e) {
            // Training only decides which classes are archived; a failure here must not fail the build.
        } finally {
            System.setOut(realOut);
            System.setErr(realErr);
            Trees.deleteQuietly(work);
        }
    }
}
