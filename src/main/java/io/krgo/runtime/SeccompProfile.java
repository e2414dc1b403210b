package io.krgo.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.krgo.error.FilesystemException;
import io.krgo.error.UsageException;
import io.krgo.image.Json;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * The seccomp profile containers use ({@code /usr/share/containers/seccomp.json}, Debian's
 * {@code golang-github-containers-common}, the one podman and buildah read; docker's default is the same
 * format) turned into the runtime-spec's {@code linux.seccomp}, as moby's and containers/common's loaders
 * do: the architectures of this machine's {@code archMap} entry, and each rule kept only when its
 * {@code includes}/{@code excludes} (capabilities, architectures, minimum kernel) fit this container. A file
 * already in runtime-spec form (no {@code archMap}, {@code architectures} present) is used as it is.
 */
public final class SeccompProfile {
    /** Where Debian's golang-github-containers-common installs the default profile. */
    /** A constant (inlined where used) so that naming the default does not initialise this class and Jackson. */
    static final String CONTAINERS_DEFAULT_FILE = "/usr/share/containers/seccomp.json";
    public static final Path CONTAINERS_DEFAULT = Path.of(CONTAINERS_DEFAULT_FILE);
    private static final long MAX_BYTES = 4 * 1024 * 1024;

    private SeccompProfile() {
    }

    /** The profile read from {@code file}, converted for a container with capabilities {@code caps}. */
    public static ObjectNode load(Path file, List<String> caps, String kernelRelease) {
        byte[] bytes;
        try {
            if (Files.size(file) > MAX_BYTES) {
                throw new UsageException("seccomp profile " + file + " is larger than 4 MiB");
            }
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new FilesystemException("seccomp profile not found: " + file + (file.equals(CONTAINERS_DEFAULT)
                    ? " (apt-get install golang-github-containers-common, or --security-opt seccomp=unconfined)"
                    : ""), e);
        } catch (IOException e) {
            throw new FilesystemException("cannot read seccomp profile " + file + ": " + e.getMessage(), e);
        }
        JsonNode profile = Json.readTree(bytes, "seccomp profile " + file);
        return convert(profile, caps, nativeArch(), kernelRelease);
    }

    static ObjectNode convert(JsonNode profile, List<String> caps, String arch, String kernelRelease) {
        ObjectNode out = Json.MAPPER.createObjectNode();
        out.put("defaultAction", profile.path("defaultAction").asText("SCMP_ACT_ERRNO"));
        if (profile.path("defaultErrnoRet").canConvertToLong()) {
            out.put("defaultErrnoRet", profile.path("defaultErrnoRet").asLong());
        }
        ArrayNode arches = out.putArray("architectures");
        if (profile.has("archMap")) {
            for (JsonNode m : profile.path("archMap")) {
                if (m.path("architecture").asText().equals(arch)) {
                    arches.add(arch);
                    m.path("subArchitectures").forEach(arches::add);
                }
            }
        } else {
            profile.path("architectures").forEach(arches::add);
        }
        if (profile.path("flags").isArray() && !profile.path("flags").isEmpty()) {
            out.set("flags", profile.path("flags").deepCopy());
        }
        ArrayNode syscalls = out.putArray("syscalls");
        for (JsonNode rule : profile.path("syscalls")) {
            if (!applies(rule, caps, arch, kernelRelease)) {
                continue;
            }
            ArrayNode names = Json.MAPPER.createArrayNode();
            if (rule.path("names").isArray()) {
                rule.path("names").forEach(names::add);
            } else if (rule.path("name").isTextual()) {
                names.add(rule.path("name").asText()); // docker's older single-name form
            }
            if (names.isEmpty()) {
                continue;
            }
            ObjectNode s = syscalls.addObject();
            s.set("names", names);
            s.put("action", rule.path("action").asText());
            if (rule.path("errnoRet").canConvertToLong()) {
                s.put("errnoRet", rule.path("errnoRet").asLong());
            }
            if (rule.path("args").isArray() && !rule.path("args").isEmpty()) {
                ArrayNode args = s.putArray("args");
                for (JsonNode a : rule.path("args")) {
                    ObjectNode arg = args.addObject();
                    arg.put("index", a.path("index").asLong());
                    arg.put("value", a.path("value").asLong());
                    if (a.path("valueTwo").asLong() != 0) {
                        arg.put("valueTwo", a.path("valueTwo").asLong());
                    }
                    arg.put("op", a.path("op").asText());
                }
            }
        }
        return out;
    }

    private static boolean applies(JsonNode rule, List<String> caps, String arch, String kernelRelease) {
        JsonNode inc = rule.path("includes");
        JsonNode exc = rule.path("excludes");
        for (JsonNode c : inc.path("caps")) {
            if (!caps.contains(c.asText())) {
                return false; // every capability listed must be granted
            }
        }
        if (inc.path("arches").isArray() && !inc.path("arches").isEmpty() && !containsArch(inc.path("arches"), arch)) {
            return false;
        }
        if (inc.path("minKernel").isTextual() && compareKernel(kernelRelease, inc.path("minKernel").asText()) < 0) {
            return false;
        }
        for (JsonNode c : exc.path("caps")) {
            if (caps.contains(c.asText())) {
                return false;
            }
        }
        return !containsArch(exc.path("arches"), arch);
    }

    /** Rules name architectures as Go does ({@code amd64}), the arch map as libseccomp does; either counts. */
    private static boolean containsArch(JsonNode arches, String scmpArch) {
        return contains(arches, scmpArch) || contains(arches, goArch(scmpArch));
    }

    static String goArch(String scmpArch) {
        return switch (scmpArch) {
            case "SCMP_ARCH_X86_64" -> "amd64";
            case "SCMP_ARCH_AARCH64" -> "arm64";
            case "SCMP_ARCH_X86" -> "386";
            case "SCMP_ARCH_ARM" -> "arm";
            case "SCMP_ARCH_PPC64LE" -> "ppc64le";
            case "SCMP_ARCH_S390X" -> "s390x";
            case "SCMP_ARCH_RISCV64" -> "riscv64";
            case "SCMP_ARCH_MIPSEL64" -> "mips64le";
            default -> scmpArch;
        };
    }

    private static boolean contains(JsonNode array, String value) {
        for (JsonNode n : array) {
            if (n.asText().equals(value)) {
                return true;
            }
        }
        return false;
    }

    /** Compares kernel releases by their leading major.minor numbers ("6.18.44-x" vs "4.8"). */
    static int compareKernel(String a, String b) {
        int[] x = majorMinor(a);
        int[] y = majorMinor(b);
        return x[0] != y[0] ? Integer.compare(x[0], y[0]) : Integer.compare(x[1], y[1]);
    }

    private static int[] majorMinor(String release) {
        String[] p = release.split("[^0-9]+", 3);
        int major = p.length > 0 && !p[0].isEmpty() ? Integer.parseInt(p[0]) : 0;
        int minor = p.length > 1 && !p[1].isEmpty() ? Integer.parseInt(p[1]) : 0;
        return new int[] {major, minor};
    }

    /** libseccomp's name for this JVM's architecture. */
    static String nativeArch() {
        String a = System.getProperty("os.arch").toLowerCase(Locale.ROOT);
        return switch (a) {
            case "amd64", "x86_64" -> "SCMP_ARCH_X86_64";
            case "aarch64", "arm64" -> "SCMP_ARCH_AARCH64";
            case "x86", "i386", "i686" -> "SCMP_ARCH_X86";
            case "arm" -> "SCMP_ARCH_ARM";
            case "ppc64le" -> "SCMP_ARCH_PPC64LE";
            case "s390x" -> "SCMP_ARCH_S390X";
            case "riscv64" -> "SCMP_ARCH_RISCV64";
            case "mips64el" -> "SCMP_ARCH_MIPSEL64";
            default -> throw new UsageException("no seccomp architecture known for " + a
                    + "; use --security-opt seccomp=unconfined");
        };
    }
}
