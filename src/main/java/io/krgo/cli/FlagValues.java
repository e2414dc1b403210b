package io.krgo.cli;

import io.krgo.error.UsageException;
import io.krgo.image.Compression;

import java.util.Locale;

/** Parsing of flag values that more than one command takes. */
final class FlagValues {
    private FlagValues() {
    }

    /** {@code --compression gzip|zstd} (any case) of a layer krgo writes. */
    static Compression layerCompression(String value) {
        return switch (value.toLowerCase(Locale.ROOT)) {
            case "gzip" -> Compression.GZIP;
            case "zstd" -> Compression.ZSTD;
            default -> throw new UsageException("--compression must be gzip or zstd, not '" + value + "'");
        };
    }
}
