package io.krgo.image;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.krgo.error.UsageException;

import java.util.List;
import java.util.Locale;

/** An image platform; {@link #normalize()} follows containerd's normalisation (arm64 = arm64/v8, etc.). */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
@JsonIgnoreProperties(ignoreUnknown = true)
public record Platform(String os, String architecture, String variant,
                       @JsonProperty("os.version") String osVersion,
                       @JsonProperty("os.features") List<String> osFeatures) {

    public Platform(String os, String architecture, String variant) {
        this(os, architecture, variant, null, null);
    }

    /** Parses {@code os/arch[/variant]}. */
    public static Platform parse(String text) {
        String[] parts = text.split("/", -1);
        if (parts.length < 2 || parts.length > 3 || parts[0].isEmpty() || parts[1].isEmpty()
                || (parts.length == 3 && parts[2].isEmpty())) {
            throw new UsageException("invalid platform '" + text + "': expected OS/ARCH[/VARIANT], e.g. linux/arm64");
        }
        return new Platform(parts[0].toLowerCase(Locale.ROOT), parts[1].toLowerCase(Locale.ROOT),
                parts.length == 3 ? parts[2].toLowerCase(Locale.ROOT) : null).normalize();
    }

    /** The platform of the running JVM. */
    public static Platform host() {
        String os = System.getProperty("os.name", "linux").toLowerCase(Locale.ROOT);
        String osName = os.contains("linux") ? "linux" : os.contains("mac") ? "darwin"
                : os.contains("windows") ? "windows" : os;
        return new Platform(osName, System.getProperty("os.arch", "amd64"), null).normalize();
    }

    /** containerd's normalisation of architecture and variant names. */
    public Platform normalize() {
        String arch = architecture == null ? "" : architecture.toLowerCase(Locale.ROOT);
        String v = variant == null ? null : variant.toLowerCase(Locale.ROOT);
        switch (arch) {
            case "i386", "i486", "i586", "i686", "x86" -> { arch = "386"; v = null; }
            case "x86_64", "x86-64", "amd64" -> {
                arch = "amd64";
                if ("v1".equals(v)) {
                    v = null;
                }
            }
            case "aarch64", "arm64" -> {
                arch = "arm64";
                if (v == null || v.equals("8") || v.equals("v8")) {
                    v = null; // arm64 and arm64/v8 are the same platform
                }
            }
            case "armhf" -> { arch = "arm"; v = "v7"; }
            case "armel" -> { arch = "arm"; v = "v6"; }
            case "arm" -> {
                if (v == null || v.isEmpty() || v.equals("7")) {
                    v = "v7";
                } else if (v.matches("[5-8]")) {
                    v = "v" + v;
                }
            }
            default -> { }
        }
        String o = os == null ? "" : os.toLowerCase(Locale.ROOT);
        return new Platform(o, arch, v, osVersion, osFeatures);
    }

    /** True when {@code candidate} (e.g. an index entry) satisfies this wanted platform. */
    public boolean matches(Platform candidate) {
        if (candidate == null) {
            return false;
        }
        Platform want = normalize();
        Platform have = candidate.normalize();
        if (!want.os.equals(have.os) || !want.architecture.equals(have.architecture)) {
            return false;
        }
        return want.variant == null || want.variant.equals(have.variant);
    }

    @Override
    public String toString() {
        return os + "/" + architecture + (variant != null && !variant.isEmpty() ? "/" + variant : "");
    }
}
