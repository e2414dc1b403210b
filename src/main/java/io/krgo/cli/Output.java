package io.krgo.cli;

import io.krgo.image.Descriptor;
import io.krgo.registry.ImagePusher;
import io.krgo.rootfs.ProgressListener;

import java.io.PrintStream;

/** What the commands print: one line per event (progress goes to stderr, results to stdout). */
final class Output {
    private final PrintStream out;
    private final PrintStream err;
    private final boolean quiet;

    private Output(PrintStream out, PrintStream err, boolean quiet) {
        this.out = out;
        this.err = err;
        this.quiet = quiet;
    }

    static Output forStdout(boolean quiet) {
        return new Output(System.out, System.err, quiet);
    }

    /** A line shown unless --quiet. */
    void info(String line) {
        if (!quiet) {
            out.println(line);
        }
    }

    /** A result line, shown even with --quiet. */
    void always(String line) {
        out.println(line);
    }

    void warn(String line) {
        err.println("krgo: warning: " + line);
    }

    /** The standard output stream (for raw bytes, e.g. inspect --raw). */
    PrintStream stdout() {
        return out;
    }

    /** Prints {@code value} as indented JSON on standard output (shown even with --quiet). */
    void json(Object value) {
        try {
            out.println(io.krgo.image.Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(value));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise the result", e);
        }
    }

    /** Prints {@code value} as JSON on one line of standard output. */
    void jsonLine(Object value) {
        try {
            out.println(io.krgo.image.Json.MAPPER.writeValueAsString(value));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise the result", e);
        }
    }

    ProgressListener pullProgress() {
        return pullProgress(ProgressMode.PLAIN);
    }

    /** Pull progress: redrawn per-layer lines on a terminal (or when forced), else one line per event. */
    ProgressListener pullProgress(ProgressMode mode) {
        if (quiet) {
            return ProgressListener.NONE;
        }
        if (mode == ProgressMode.TTY || (mode == ProgressMode.AUTO && Terminal.interactive())) {
            return new TtyProgress(out, System::nanoTime);
        }
        return new ProgressListener() {
            @Override
            public synchronized void layerDownloaded(int index, Descriptor layer, boolean cached) {
                out.println("layer " + (index + 1) + ": " + layer.digest() + " " + Sizes.human(layer.size())
                        + (cached ? " (cached)" : " downloaded"));
            }

            @Override
            public synchronized void layerApplied(int index, Descriptor layer, long entries, long bytes) {
                out.println("layer " + (index + 1) + ": applied " + entries + " entries, " + Sizes.human(bytes));
            }
        };
    }

    ImagePusher.Listener pushProgress() {
        if (quiet) {
            return ImagePusher.Listener.NONE;
        }
        return (index, layer, action) -> {
            synchronized (this) {
                out.println("layer " + (index + 1) + ": " + layer.digest() + " " + Sizes.human(layer.size()) + " "
                        + switch (action) {
                            case EXISTED -> "already in the repository";
                            case MOUNTED -> "mounted from another repository";
                            case UPLOADED -> "uploaded";
                        });
            }
        };
    }
}
