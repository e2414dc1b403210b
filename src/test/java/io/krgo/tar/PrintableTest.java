package io.krgo.tar;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class PrintableTest {
    @Test
    void textStaysControlsAndBadBytesEscaped() {
        assertThat(Printable.of("café/€".getBytes(StandardCharsets.UTF_8))).isEqualTo("café/€");
        assertThat(Printable.of(new byte[] {'a', '\n', 'b', 0x1b, (byte) 0xff, (byte) 0xc3})).isEqualTo("a\\x0ab\\x1b\\xff\\xc3");
        assertThat(Printable.of("x\u2028y\u0085".getBytes(StandardCharsets.UTF_8))).isEqualTo("x\\u2028y\\x85");
    }

    @Test
    void longNamesShortened() {
        assertThat(Printable.of("n".repeat(4000).getBytes(StandardCharsets.UTF_8))).isEqualTo("n".repeat(300) + "...");
    }
}
