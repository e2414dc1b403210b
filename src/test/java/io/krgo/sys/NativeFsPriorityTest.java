package io.krgo.sys;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

class NativeFsPriorityTest {
    /** The nice value of the calling thread, field 19 of /proc/thread-self/stat (after the command name). */
    private static int niceOfThisThread() throws Exception {
        String stat = Files.readString(Path.of("/proc/thread-self/stat"));
        String[] after = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Integer.parseInt(after[16]); // fields from 3 (state) on: nice is field 19
    }

    @Test
    void lowersOnlyTheCallingThread() throws Exception {
        int before = niceOfThisThread();
        AtomicInteger seen = new AtomicInteger(Integer.MIN_VALUE);
        AtomicReference<Boolean> lowered = new AtomicReference<>();
        Thread t = new Thread(() -> {
            lowered.set(NativeFs.lowerThisThreadPriority(10));
            try {
                seen.set(niceOfThisThread());
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        t.start();
        t.join();
        assertThat(lowered.get()).isTrue();
        assertThat(seen.get()).isEqualTo(Math.min(19, before + 10));
        assertThat(niceOfThisThread()).isEqualTo(before);
    }
}
