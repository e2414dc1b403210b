package io.krgo.cli;

import io.krgo.error.UsageException;
import io.krgo.image.Compression;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

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

    private static final Pattern DURATION_PART = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|s|m|h)");

    /**
     * A duration as Go (docker, skopeo) writes them: {@code 30s}, {@code 2m}, {@code 1m30s}, {@code 500ms},
     * {@code 1.5h}; a bare number is seconds. Must be positive.
     */
    static Duration duration(String flag, String value) {
        String v = value.strip().toLowerCase(Locale.ROOT);
        Duration total = Duration.ZERO;
        if (v.matches("\\d+")) {
            total = Duration.ofSeconds(Long.parseLong(v));
        } else {
            Matcher m = DURATION_PART.matcher(v);
            int end = 0;
            while (m.lookingAt()) {
                double n = Double.parseDouble(m.group(1));
                long unitMillis = switch (m.group(2)) {
                    case "ms" -> 1;
                    case "s" -> 1_000;
                    case "m" -> 60_000;
                    default -> 3_600_000;
                };
                total = total.plusMillis(Math.round(n * unitMillis));
                end = m.end();
                m.region(end, v.length());
            }
            if (end == 0 || end != v.length()) {
                throw new UsageException(flag + " must be a duration such as 30s, 2m or 1m30s, not '" + value + "'");
            }
        }
        if (total.isZero()) {
            throw new UsageException(flag + " must be longer than zero, not '" + value + "'");
        }
        return total;
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
