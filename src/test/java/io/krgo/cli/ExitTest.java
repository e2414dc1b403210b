package io.krgo.cli;

import io.krgo.testing.KrgoCli;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The JVM's exit waits up to 0.3 s for threads in native code, such as the HttpClient's selector thread in
 * epoll_wait; Main ends those before it halts. Checked in a child JVM (the test JVM's own clients stay alone).
 */
class ExitTest {

    @Test
    void mainEndsTheHttpClientSelectorThreadBeforeHalting() throws Exception {
        Process p = new ProcessBuilder(KrgoCli.javaCommand(List.of(), SelectorEndChild.class)).redirectErrorStream(true).start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(out).startsWith("ended");
        assertThat(p.exitValue()).as(out).isZero();
    }
}
