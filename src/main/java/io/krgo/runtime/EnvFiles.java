package io.krgo.runtime;

import io.krgo.error.FilesystemException;
import io.krgo.error.UsageException;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * docker's {@code --env-file} format: one {@code KEY=VALUE} per line, taken literally (no quotes, no
 * expansion); a line {@code KEY} takes the variable from krgo's environment and is left out when unset
 * there; blank lines and lines starting with {@code #} are ignored.
 */
public final class EnvFiles {
    private static final long MAX_BYTES = 1024 * 1024;

    List<String> read(Path file, Map<String, String> hostEnv) {
        List<String> out = new ArrayList<>();
        try {
            if (Files.size(file) > MAX_BYTES) {
                throw new UsageException("env file " + file + " is larger than 1 MiB");
            }
            try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                String line;
                int n = 0;
                while ((line = r.readLine()) != null) {
                    n++;
                    String t = line.stripLeading();
                    if (t.isEmpty() || t.startsWith("#")) {
                        continue;
                    }
                    parseLine(t, hostEnv, file + " line " + n).ifPresent(out::add);
                }
            }
        } catch (NoSuchFileException e) {
            throw new FilesystemException("env file not found: " + file, e);
        } catch (IOException e) {
            throw new FilesystemException("cannot read env file " + file + ": " + e.getMessage(), e);
        }
        return out;
    }

    /** {@code KEY=VALUE} as is, {@code KEY} from {@code hostEnv} (empty when unset there). */
    static Optional<String> parseLine(String kv, Map<String, String> hostEnv, String where) {
        int eq = kv.indexOf('=');
        String key = eq < 0 ? kv : kv.substring(0, eq);
        if (key.isEmpty() || key.chars().anyMatch(Character::isWhitespace)) {
            throw new UsageException(where + ": invalid variable name '" + key + "'");
        }
        if (eq >= 0) {
            return Optional.of(kv);
        }
        String value = hostEnv.get(key);
        return value == null ? Optional.empty() : Optional.of(key + "=" + value);
    }
}
