package io.krgo.runtime;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A user's subordinate id ranges from {@code /etc/subuid} or {@code /etc/subgid} (shadow-utils' format,
 * what {@code useradd} writes and {@code newuidmap} checks): lines {@code USER:START:COUNT}, where USER is a
 * login name or a numeric uid; a user may have several lines. Malformed lines are skipped, as
 * shadow-utils does.
 */
public final class SubordinateIds {
    /** {@code count} ids from {@code start} on the host. */
    public record Range(long start, long count) {
        public Range {
            if (start < 0 || count < 1) {
                throw new IllegalArgumentException("invalid subordinate range " + start + ":" + count);
            }
        }

        /** The last host id of the range. */
        public long end() {
            return start + count - 1;
        }

        @Override
        public String toString() {
            return start + "-" + end();
        }
    }

    private SubordinateIds() {
    }

    /** The ranges of the user {@code name} (or its uid {@code uid}) in {@code file}; none when it is absent. */
    public static List<Range> read(Path file, String name, long uid) {
        try {
            return parse(Files.readAllLines(file, StandardCharsets.UTF_8), name, uid);
        } catch (NoSuchFileException absent) {
            return List.of();
        } catch (IOException e) {
            return List.of(); // unreadable: newuidmap could not read it either
        }
    }

    /** The ranges of {@code name} (or {@code uid}) in {@code lines}, in file order. */
    public static List<Range> parse(List<String> lines, String name, long uid) {
        List<Range> out = new ArrayList<>();
        for (String line : lines) {
            String l = line.strip();
            if (l.isEmpty() || l.startsWith("#")) {
                continue;
            }
            String[] f = l.split(":", -1);
            if (f.length != 3 || !(f[0].equals(name) || f[0].equals(Long.toString(uid)))) {
                continue;
            }
            try {
                long start = Long.parseLong(f[1]);
                long count = Long.parseLong(f[2]);
                if (start >= 0 && count > 0 && start + count - 1 <= 0xfffffffeL) {
                    out.add(new Range(start, count));
                }
            } catch (NumberFormatException malformed) {
                // skipped, as shadow-utils does
            }
        }
        return List.copyOf(out);
    }
}
