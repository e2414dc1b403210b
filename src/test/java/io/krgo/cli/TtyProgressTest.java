package io.krgo.cli;

import io.krgo.image.Descriptor;
import io.krgo.image.Digest;
import io.krgo.image.MediaTypes;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/** The frames the terminal progress draws, with a fake clock. */
class TtyProgressTest {
    private static final long SECOND = 1_000_000_000L;

    @Test
    void drawsStateBytesRateAndEtaAndThrottlesByteUpdates() {
        Descriptor a = new Descriptor(MediaTypes.OCI_LAYER_GZIP, Digest.sha256(new byte[] {1}), 4 * 1024 * 1024);
        Descriptor b = new Descriptor(MediaTypes.OCI_LAYER_GZIP, Digest.sha256(new byte[] {2}), 1000);
        AtomicLong now = new AtomicLong(10 * SECOND);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        TtyProgress p = new TtyProgress(new PrintStream(bytes, true, StandardCharsets.UTF_8), now::get);

        p.started(List.of(a, b));
        assertThat(text(bytes)).isEqualTo(TtyProgress.ERASE_LINE + a.parsedDigest().shortHex() + ": Waiting\n"
                + TtyProgress.ERASE_LINE + b.parsedDigest().shortHex() + ": Waiting\n");

        p.bytesDownloaded(0, a, 1);                 // state change: drawn at once
        now.addAndGet(SECOND);
        p.bytesDownloaded(0, a, 1024 * 1024);       // a second later: drawn
        String frame = lastFrame(bytes);
        assertThat(frame).contains("Downloading [=======>").contains("1.0 MiB/4.0 MiB").contains("1.0 MiB/s")
                .contains("ETA 3s");
        int frames = count(text(bytes), "\033[2A");
        now.addAndGet(SECOND / 100);
        p.bytesDownloaded(0, a, 2 * 1024 * 1024);   // 10 ms later: throttled
        assertThat(count(text(bytes), "\033[2A")).isEqualTo(frames);

        p.layerDownloaded(1, b, true);
        p.layerDownloaded(0, a, false);
        p.layerApplying(0, a);
        assertThat(lastFrame(bytes)).contains("Extracting").contains("Already cached");
        p.layerApplied(0, a, 3, 10);
        p.layerApplying(1, b);
        p.layerApplied(1, b, 3, 10);
        assertThat(lastFrame(bytes).split("Pull complete", -1)).hasSize(3);
        assertThat(lastFrame(bytes).split("\n")).hasSize(2);
    }

    @Test
    void eventsFromSeveralThreadsNeverMoveALayerBack() {
        Descriptor a = new Descriptor(MediaTypes.OCI_LAYER_GZIP, Digest.sha256(new byte[] {3}), 2048);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        TtyProgress p = new TtyProgress(new PrintStream(bytes, true, StandardCharsets.UTF_8), () -> 5 * SECOND);
        p.started(List.of(a));
        p.layerApplying(0, a);                     // extraction starts on the first bytes
        p.bytesDownloaded(0, a, 1024);
        String frame = text(bytes).substring(text(bytes).lastIndexOf(TtyProgress.ERASE_LINE));
        assertThat(frame).contains("Downloading [===============>").contains("1.0 KiB/2.0 KiB");
        p.layerApplied(0, a, 1, 1);                // the applier may finish before the download thread reports
        p.layerDownloaded(0, a, false);
        String t = text(bytes);
        assertThat(t.substring(t.lastIndexOf(TtyProgress.ERASE_LINE))).contains("Pull complete");
    }

    private static String text(ByteArrayOutputStream bytes) {
        return bytes.toString(StandardCharsets.UTF_8);
    }

    private static String lastFrame(ByteArrayOutputStream bytes) {
        String t = text(bytes);
        return t.substring(t.lastIndexOf("\033[2A") + 4);
    }

    private static int count(String s, String part) {
        return s.split(java.util.regex.Pattern.quote(part), -1).length - 1;
    }
}
