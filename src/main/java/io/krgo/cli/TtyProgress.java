package io.krgo.cli;

import io.krgo.image.Descriptor;
import io.krgo.rootfs.ProgressListener;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * Pull progress for a terminal, like docker pull: one line per layer (state, bytes, rate, ETA), redrawn in
 * place with ANSI cursor-up and erase-line sequences, at most every {@value #REDRAW_MILLIS} ms for byte
 * updates and at once for state changes. A layer is extracted while its blob still arrives, and events
 * come from several threads in any order, so a layer's state only ever moves forward.
 */
final class TtyProgress implements ProgressListener {
    static final long REDRAW_MILLIS = 100;
    static final String ERASE_LINE = "\r\033[2K";

    private enum State {
        WAITING("Waiting"), DOWNLOADING("Downloading"), DOWNLOADED("Download complete"), CACHED("Already cached"),
        EXTRACTING("Extracting"), DONE("Pull complete");

        final String text;

        State(String text) {
            this.text = text;
        }
    }

    private final PrintStream out;
    private final LongSupplier nanos;
    private List<Descriptor> layers = List.of();
    private State[] states = new State[0];
    private long[] bytes = new long[0];
    private long[] startNanos = new long[0];
    private boolean[] arriving = new boolean[0];
    private boolean[] arrived = new boolean[0];
    private int linesDrawn;
    private long lastDraw;

    TtyProgress(PrintStream out, LongSupplier nanos) {
        this.out = out;
        this.nanos = nanos;
    }

    @Override
    public synchronized void started(List<Descriptor> all) {
        layers = List.copyOf(all);
        int n = layers.size();
        states = new State[n];
        java.util.Arrays.fill(states, State.WAITING);
        bytes = new long[n];
        startNanos = new long[n];
        arriving = new boolean[n];
        arrived = new boolean[n];
        draw(true);
    }

    @Override
    public synchronized void bytesDownloaded(int index, Descriptor layer, long bytesSoFar) {
        if (index >= states.length) {
            return;
        }
        boolean first = !arriving[index] && !arrived[index];
        if (first) {
            arriving[index] = true;
            startNanos[index] = nanos.getAsLong();
            advance(index, State.DOWNLOADING);
        }
        bytes[index] = bytesSoFar;
        draw(first);
    }

    @Override
    public synchronized void layerDownloaded(int index, Descriptor layer, boolean cached) {
        if (index >= states.length) {
            return;
        }
        arriving[index] = false;
        arrived[index] = true;
        advance(index, cached ? State.CACHED : State.DOWNLOADED);
        bytes[index] = layer.size();
        draw(true);
    }

    @Override
    public synchronized void layerApplying(int index, Descriptor layer) {
        if (index < states.length) {
            advance(index, State.EXTRACTING);
            draw(true);
        }
    }

    @Override
    public synchronized void layerApplied(int index, Descriptor layer, long entries, long applied) {
        if (index < states.length) {
            advance(index, State.DONE);
            draw(true);
        }
    }

    private void advance(int index, State to) {
        if (to.ordinal() > states[index].ordinal()) {
            states[index] = to;
        }
    }

    private void draw(boolean force) {
        long now = nanos.getAsLong();
        if (!force && linesDrawn > 0 && now - lastDraw < REDRAW_MILLIS * 1_000_000) {
            return;
        }
        lastDraw = now;
        StringBuilder sb = new StringBuilder();
        if (linesDrawn > 0) {
            sb.append("\033[").append(linesDrawn).append('A'); // back to the first layer line
        }
        for (String line : lines(now)) {
            sb.append(ERASE_LINE).append(line).append('\n');
        }
        linesDrawn = layers.size();
        out.print(sb);
        out.flush();
    }

    List<String> lines(long now) {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < layers.size(); i++) {
            Descriptor d = layers.get(i);
            String id = d.digest().substring(d.digest().indexOf(':') + 1);
            // While bytes still arrive the download is the news, even when extraction has begun on them.
            StringBuilder l = new StringBuilder(id.substring(0, Math.min(12, id.length()))).append(": ")
                    .append(arriving[i] ? State.DOWNLOADING.text : states[i].text);
            if (arriving[i]) {
                double seconds = Math.max(1e-3, (now - startNanos[i]) / 1e9);
                double rate = bytes[i] / seconds;
                l.append(' ').append(bar(bytes[i], d.size())).append(' ')
                        .append(Sizes.human(bytes[i])).append('/').append(Sizes.human(d.size()))
                        .append("  ").append(Sizes.human((long) rate)).append("/s");
                if (rate > 0 && d.size() > bytes[i]) {
                    l.append("  ETA ").append(duration((d.size() - bytes[i]) / rate));
                }
            } else if (states[i] != State.WAITING && states[i] != State.CACHED) {
                l.append("  ").append(Sizes.human(d.size()));
            }
            lines.add(l.toString());
        }
        return lines;
    }

    private static String bar(long done, long total) {
        int width = 30;
        int filled = total <= 0 ? width : (int) Math.min(width, done * width / total);
        return "[" + "=".repeat(filled) + (filled < width ? ">" + " ".repeat(width - filled - 1) : "") + "]";
    }

    private static String duration(double seconds) {
        long s = (long) Math.ceil(seconds);
        return s < 60 ? s + "s" : String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
    }
}
