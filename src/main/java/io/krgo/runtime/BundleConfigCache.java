package io.krgo.runtime;

import io.krgo.sys.KeyHash;
import io.krgo.sys.OutputFile;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The {@code config.json} of earlier containers of one unpacked image ({@code images/<hex>/bundles/}): a
 * container whose conversion reads exactly the same inputs (the key, built by {@link RuntimeConfigs}) takes
 * those bytes instead of converting again. The conversion (the image config's JSON, the user looked up in
 * the image's passwd and group, the seccomp profile) was most of a hot {@code krgo run}'s own time.
 * An entry's file is named by a 64-bit hash of its key and holds the whole key, so a collision is a miss.
 * Only configs whose 126/127 check passed are kept; the image directory is read-only once unpacked, and
 * {@code prune} removes the entries with it.
 */
final class BundleConfigCache {
    private static final byte[] MAGIC = "krgo-bundle-config 1\n".getBytes(StandardCharsets.US_ASCII);
    /** Larger entries are neither written nor read (a config is a few KiB; the seccomp section ~40 KiB). */
    private static final int MAX_BYTES = 8 * 1024 * 1024;

    /** What a container needs of a conversion besides the config's bytes. */
    record Entry(byte[] config, ContainerUser user, String hostname, String stopSignal, List<String> notHonoured) {
        Entry {
            notHonoured = List.copyOf(notHonoured);
        }
    }

    private final Path dir;

    BundleConfigCache(Path dir) {
        this.dir = dir;
    }

    /** The entry stored for {@code key}, if any and intact. */
    Optional<Entry> get(String key) {
        Path file = dir.resolve(KeyHash.of(key));
        try {
            if (!Files.isRegularFile(file) || Files.size(file) > MAX_BYTES) {
                return Optional.empty();
            }
            DataInputStream in = new DataInputStream(new ByteArrayInputStream(Files.readAllBytes(file)));
            if (!Arrays.equals(in.readNBytes(MAGIC.length), MAGIC)
                    || !Arrays.equals(bytes(in), key.getBytes(StandardCharsets.UTF_8))) {
                return Optional.empty();
            }
            byte[] config = bytes(in);
            long uid = in.readLong();
            long gid = in.readLong();
            List<Long> gids = new ArrayList<>();
            for (int n = in.readInt(); n > 0; n--) {
                gids.add(in.readLong());
            }
            ContainerUser user = new ContainerUser(uid, gid, gids, string(in), string(in));
            String hostname = string(in);
            String stopSignal = string(in);
            List<String> notHonoured = new ArrayList<>();
            for (int n = in.readInt(); n > 0; n--) {
                notHonoured.add(string(in));
            }
            return Optional.of(new Entry(config, user, hostname, stopSignal, notHonoured));
        } catch (IOException | RuntimeException e) {
            return Optional.empty(); // damaged or of another format: converted again, and rewritten
        }
    }

    /** Stores {@code entry} for {@code key} (atomically; best effort: a cache that cannot be written is skipped). */
    void put(String key, Entry entry) {
        try {
            ByteArrayOutputStream buf = new ByteArrayOutputStream();
            DataOutputStream out = new DataOutputStream(buf);
            out.write(MAGIC);
            bytes(out, key.getBytes(StandardCharsets.UTF_8));
            bytes(out, entry.config());
            out.writeLong(entry.user().uid());
            out.writeLong(entry.user().gid());
            out.writeInt(entry.user().additionalGids().size());
            for (long g : entry.user().additionalGids()) {
                out.writeLong(g);
            }
            string(out, entry.user().name());
            string(out, entry.user().home());
            string(out, entry.hostname());
            string(out, entry.stopSignal());
            out.writeInt(entry.notHonoured().size());
            for (String s : entry.notHonoured()) {
                string(out, s);
            }
            if (buf.size() > MAX_BYTES) {
                return;
            }
            OutputFile.write(dir.resolve(KeyHash.of(key)), buf.toByteArray());
        } catch (IOException e) {
            // a read-only state directory: every run converts, as without the cache
        }
    }

    private static byte[] bytes(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > MAX_BYTES) {
            throw new IOException("bad length " + n);
        }
        byte[] b = in.readNBytes(n);
        if (b.length != n) {
            throw new IOException("truncated");
        }
        return b;
    }

    private static void bytes(DataOutputStream out, byte[] b) throws IOException {
        out.writeInt(b.length);
        out.write(b);
    }

    /** A string that may be null. */
    private static String string(DataInputStream in) throws IOException {
        return in.readBoolean() ? new String(bytes(in), StandardCharsets.UTF_8) : null;
    }

    private static void string(DataOutputStream out, String s) throws IOException {
        out.writeBoolean(s != null);
        if (s != null) {
            bytes(out, s.getBytes(StandardCharsets.UTF_8));
        }
    }
}
