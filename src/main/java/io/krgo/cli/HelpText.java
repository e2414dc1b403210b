package io.krgo.cli;

import picocli.CommandLine;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * {@code krgo --help} without building the picocli model (its annotation scanning and proxies are most
 * of the start-up): the build renders the top-level help once, with and without ANSI styles, into the
 * jar ({@link #main}); {@link #prerendered()} picks the one picocli itself would print. Without the
 * rendered files (e.g. classes run from the IDE) callers fall back to picocli.
 */
public final class HelpText {
    static final String PLAIN = "help.txt";
    static final String ANSI = "help-ansi.txt";

    private HelpText() {
    }

    /** Writes the rendered help files into the directory {@code args[0]} (run at build time). */
    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args[0]);
        Files.createDirectories(dir);
        Files.writeString(dir.resolve(PLAIN), render(CommandLine.Help.Ansi.OFF), StandardCharsets.UTF_8);
        Files.writeString(dir.resolve(ANSI), render(CommandLine.Help.Ansi.ON), StandardCharsets.UTF_8);
    }

    /** What {@code krgo --help} prints through picocli, with the given styling. */
    static String render(CommandLine.Help.Ansi ansi) {
        StringWriter text = new StringWriter();
        CommandLine cmd = Main.newCommandLine();
        cmd.setOut(new PrintWriter(text, true));
        cmd.setColorScheme(CommandLine.Help.defaultColorScheme(ansi));
        cmd.execute("--help");
        return text.toString();
    }

    /** The rendered help picocli would print here (ANSI decided as picocli decides), or null when not built. */
    static String prerendered() {
        String name = CommandLine.Help.Ansi.AUTO.enabled() ? ANSI : PLAIN;
        try (InputStream in = HelpText.class.getResourceAsStream(name)) {
            return in == null ? null : new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return null;
        }
    }
}
