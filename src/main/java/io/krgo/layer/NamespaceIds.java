package io.krgo.layer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Which ids this process's user namespace maps ({@code /proc/self/uid_map}, {@code gid_map}): an extraction
 * as root of a user namespace (krgo run without root) cannot give a file an owner the namespace does not
 * map, and the kernel says only EINVAL.
 */
final class NamespaceIds {
    private NamespaceIds() {
    }

    /** "uid N is not mapped in this user namespace (...)" for the first of {@code uid}, {@code gid} not mapped, else null. */
    static String unmapped(long uid, long gid) {
        for (String kind : new String[] {"uid", "gid"}) {
            long id = kind.equals("uid") ? uid : gid;
            String map;
            try {
                map = Files.readString(Path.of("/proc/self/" + kind + "_map"), StandardCharsets.US_ASCII);
            } catch (IOException e) {
                return null;
            }
            if (!maps(map, id)) {
                return kind + " " + id + " is not mapped in this user namespace (" + kind + "s mapped: "
                        + ranges(map) + ")";
            }
        }
        return null;
    }

    private static boolean maps(String map, long id) {
        for (String line : map.strip().split("\n")) {
            String[] f = line.strip().split("\\s+");
            if (f.length == 3) {
                long inside = Long.parseLong(f[0]);
                long count = Long.parseLong(f[2]);
                if (id >= inside && id < inside + count) {
                    return true;
                }
            }
        }
        return false;
    }

    private static String ranges(String map) {
        StringBuilder b = new StringBuilder();
        for (String line : map.strip().split("\n")) {
            String[] f = line.strip().split("\\s+");
            if (f.length == 3) {
                long inside = Long.parseLong(f[0]);
                long count = Long.parseLong(f[2]);
                b.append(b.length() == 0 ? "" : ", ").append(count == 1 ? Long.toString(inside)
                        : inside + "-" + (inside + count - 1));
            }
        }
        return b.toString();
    }
}
