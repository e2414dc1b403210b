package io.krgo.trust;

import io.krgo.image.Digest;
import io.krgo.reference.Reference;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

/**
 * Remembered verdicts, so that an up-to-date re-pull does not read and verify the signatures again: a verdict
 * is a digest over everything the policy's answer depends on — the policy file's bytes, the registries.d
 * files, the key files the chosen scope names, the reference and the manifest digest — kept in a small file
 * beside the pull's record. Any change to one of them (an edited policy, a rotated key, another image)
 * changes the digest, and the image is verified again. What it does not see: signatures removed from a
 * lookaside and keys that expire or are revoked after the verdict; those count at the next pull that is not
 * up to date, or with {@code --force}.
 */
final class Verdicts {
    private static final String VERSION = "krgo verdict 1";

    private Verdicts() {
    }

    /** The digest naming the verdict for {@code ref} at {@code digest} under {@code policyFile}'s {@code scope}. */
    static String key(Path policyFile, Path registriesD, Policy.Scope scope, Reference ref, Digest digest) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            line(md, VERSION);
            line(md, "policy " + policyFile.toAbsolutePath() + " " + fileDigest(policyFile));
            if (registriesD != null && Files.isDirectory(registriesD)) {
                try (Stream<Path> files = Files.list(registriesD)) {
                    for (Path f : files.filter(p -> p.getFileName().toString().endsWith(".yaml")).sorted().toList()) {
                        line(md, "registries.d " + f.getFileName() + " " + fileDigest(f));
                    }
                }
            }
            for (Requirement r : scope.requirements()) {
                List<Path> keys = r instanceof Requirement.SignedBy s ? s.keyPaths()
                        : r instanceof Requirement.SigstoreSigned s ? s.keyPaths() : List.of();
                for (Path k : keys) {
                    line(md, "key " + k.toAbsolutePath() + " " + fileDigest(k));
                }
            }
            line(md, "image " + ref + " " + digest);
            return "sha256:" + HexFormat.of().formatHex(md.digest());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** True when {@code file} holds {@code key}: the verdict is remembered. */
    static boolean holds(Path file, String key) {
        try {
            return Files.size(file) < 256 && Files.readString(file, StandardCharsets.US_ASCII).strip().equals(key);
        } catch (IOException e) {
            return false; // none or unreadable: verify
        }
    }

    /** Stores {@code key} in {@code file} when its directory exists; best effort (without it, verify next time). */
    static void store(Path file, String key) {
        if (!Files.isDirectory(file.getParent())) {
            return;
        }
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp-" + ProcessHandle.current().pid());
        try {
            Files.writeString(tmp, key + "\n", StandardCharsets.US_ASCII);
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // a remembered verdict is an optimisation only
            }
        }
    }

    private static String fileDigest(Path file) throws IOException {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            try (var in = Files.newInputStream(file)) {
                byte[] buf = new byte[8192];
                for (int n; (n = in.read(buf)) > 0; ) {
                    md.update(buf, 0, n);
                }
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchFileException absent) {
            return "absent";
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void line(MessageDigest md, String s) {
        md.update((s + "\n").getBytes(StandardCharsets.UTF_8));
    }
}
