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

    /** {@code --format oci|nspawn|lxc} of {@code config}. */
    static io.krgo.runtime.RuntimeConfigs.Format runtimeFormat(String value) {
        return switch (value.toLowerCase(Locale.ROOT)) {
            case "oci" -> io.krgo.runtime.RuntimeConfigs.Format.OCI;
            case "nspawn" -> io.krgo.runtime.RuntimeConfigs.Format.NSPAWN;
            case "lxc" -> io.krgo.runtime.RuntimeConfigs.Format.LXC;
            default -> throw new UsageException("--format must be oci, nspawn or lxc, not '" + value + "'");
        };
    }
}
