package io.krgo.cli;

import io.krgo.error.FilesystemException;
import io.krgo.image.Json;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;

/**
 * Where {@code run --json}'s line goes. To standard output, after the container's own output, on a line of
 * its own: unless standard output is a terminal krgo writes a newline first, whatever the container printed
 * last, so a script gets the container's exact bytes back (all before the last line, less one newline).
 * With {@code --json-file FILE}, to FILE instead, and standard output stays the container's alone; FILE is
 * opened before the container starts, so a path that cannot be written fails the run before anything runs.
 * Opened and truncated in place rather than through {@link io.krgo.sys.OutputFile}'s rename: the failure must
 * come before the container runs, and {@code /dev/fd/3} (a link to a file or pipe of the caller) must work.
 */
final class RunJson {
    private final PrintStream stdout;
    private final OutputStream file;

    private RunJson(PrintStream stdout, OutputStream file) {
        this.stdout = stdout;
        this.file = file;
    }

    /** The destination {@code --json} and {@code --json-file} ask for, or null for neither. */
    static RunJson open(boolean json, Path jsonFile) {
        if (jsonFile == null) {
            return json ? new RunJson(System.out, null) : null;
        }
        try {
            return new RunJson(null, Files.newOutputStream(jsonFile, StandardOpenOption.CREATE,
                    StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE));
        } catch (IOException e) {
            throw new FilesystemException("cannot write --json-file " + jsonFile + ": " + e.getMessage(), e);
        }
    }

    /** Writes {@code line} as one line of JSON (once, when krgo ends). */
    void write(Map<String, Object> line) throws IOException {
        byte[] json = Json.MAPPER.writeValueAsBytes(line);
        if (file != null) {
            try (OutputStream f = file) {
                f.write(json);
                f.write('\n');
            } catch (IOException e) {
                throw new FilesystemException("cannot write --json-file: " + e.getMessage(), e);
            }
            return;
        }
        if (!Terminal.stdoutIsTerminal()) {
            stdout.write('\n'); // the container's output may not end with one
        }
        stdout.write(json);
        stdout.write('\n');
        stdout.flush();
    }
}
