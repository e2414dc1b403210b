package io.krgo.cli;

import io.krgo.error.UsageException;
import io.krgo.image.Compression;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class FlagValuesTest {
    @Test
    void compressionIsGzipOrZstdInAnyCase() {
        assertThat(FlagValues.layerCompression("gzip")).isEqualTo(Compression.GZIP);
        assertThat(FlagValues.layerCompression("ZSTD")).isEqualTo(Compression.ZSTD);
        assertThatThrownBy(() -> FlagValues.layerCompression("none")).isInstanceOf(UsageException.class)
                .hasMessage("--compression must be gzip or zstd, not 'none'");
    }
}
