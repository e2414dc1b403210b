package io.krgo.tar;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class TarWriterTest {

    /** Sub-second and out-of-range times go into a PAX mtime record: seconds, a dot, nine digits. */
    @ParameterizedTest
    @CsvSource({
            "1600000000000000005, 1600000000.000000005",
            "1600000000123456789, 1600000000.123456789",
            "1600000000100000000, 1600000000.100000000",
            "-1500000000, -1.500000000",
            "-500000000, -0.500000000",
            "1000, 0.000001000",
    })
    void paxMtimeHasNineFractionDigits(long mtimeNanos, String expected) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (TarWriter tar = new TarWriter(out)) {
            tar.writeHeader(new TarWriter.Header("f", TarWriter.REG, 0644, 0, 0, 0, mtimeNanos, null, 0, 0, Map.of()));
        }
        try (TarArchiveInputStream in = new TarArchiveInputStream(new ByteArrayInputStream(out.toByteArray()))) {
            TarArchiveEntry e = in.getNextEntry();
            assertThat(e.getName()).isEqualTo("f");
            // Commons Compress reads the record as a decimal number of seconds, the sign applying to the whole
            assertThat(e.getLastModifiedTime().toInstant()).isEqualTo(java.time.Instant.EPOCH.plusNanos(mtimeNanos));
        }
        String raw = out.toString(java.nio.charset.StandardCharsets.US_ASCII);
        assertThat(raw).contains(" mtime=" + expected + "\n");
    }
}
