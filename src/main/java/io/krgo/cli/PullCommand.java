package io.krgo.cli;

import io.krgo.ImagePullRequest;
import io.krgo.Krgo;
import io.krgo.PullRequest;
import io.krgo.image.Platform;
import io.krgo.reference.Reference;
import io.krgo.rootfs.PullResult;
import io.krgo.runtime.ImageConversion;
import io.krgo.runtime.RunOptions;
import io.krgo.runtime.RuntimeConfigs;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "pull", addMethodSubcommands = false, mixinStandardHelpOptions = true, versionProvider = VersionProvider.class, sortOptions = false,
        description = "Pull IMAGE into a root file system directory.",
        footer = {"", "Examples:",
                "  krgo pull busybox                  # docker.io/library/busybox:latest",
                "  krgo pull debian:12 -r debian -g   # one git branch per layer",
                "  krgo pull ghcr.io/org/app@sha256:... -r app --platform linux/arm64",
                "  krgo pull 127.0.0.1:5000/team/app:1.0 -u me --password-stdin < pw.txt",
                "  krgo pull oci:./layout:1.0 -r app  # from an OCI image layout (krgo export)"})
final class PullCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "IMAGE",
            description = "Image reference: [REGISTRY/]REPOSITORY[:TAG][@DIGEST]; TAG defaults to latest."
                    + " Or oci:DIR[:TAG] to unpack from a local OCI image layout (TAG may be left out when the"
                    + " layout holds one image).")
    String image;

    @Option(names = {"-r", "--rootfs"}, paramLabel = "DIR", defaultValue = "rootfs",
            description = "Target directory (default: ${DEFAULT-VALUE}). Replaced atomically; must be absent"
                    + " or empty unless --force.")
    Path rootfs;

    @Option(names = {"-g", "--git"},
            description = "Keep every layer as a git branch layer_<n>_<id>, in .DIR.krgo/git beside DIR"
                    + " (needed by commit).")
    boolean git;

    @Option(names = "--platform", paramLabel = "OS/ARCH[/VARIANT]",
            description = "Platform to pick from a multi-platform image (default: this machine's).")
    String platform;

    @Option(names = "--force", description = "Replace a non-empty DIR (still atomically), or re-pull an up-to-date one.")
    boolean force;

    @Option(names = "--bundle", paramLabel = "BUNDLE",
            description = "Pull into BUNDLE/rootfs and write BUNDLE/config.json (an OCI runtime bundle, as umoci"
                    + " unpack makes): runc run -b BUNDLE NAME. Not with -r.")
    Path bundle;

    @Option(names = "-v2", description = "Accepted for compatibility with krgo 1.x; registry API v2 is the only protocol.")
    boolean v2;

    @Option(names = {"-q", "--quiet"}, description = "Print only errors and the final line.")
    boolean quiet;

    @Option(names = "--progress", paramLabel = "auto|plain|tty", defaultValue = "auto",
            description = "auto: per-layer lines redrawn in place on a terminal, one line per event otherwise;"
                    + " plain: always one line per event; tty: always redrawn (default: ${DEFAULT-VALUE}).")
    ProgressMode progress;

    @Option(names = "--json", description = "Print the result as JSON (and no progress).")
    boolean json;

    @Mixin
    TrustFlags trustFlags;

    @Mixin
    MirrorFlags mirrors;

    @Mixin
    RegistryFlags registry;

    @Override
    public Integer call() {
        if (git) {
            Main.installNativeDigests();
        }
        if (bundle != null) {
            if (!rootfs.equals(Path.of("rootfs"))) {
                throw new io.krgo.error.UsageException("--bundle puts the rootfs in BUNDLE/rootfs; leave out -r");
            }
            rootfs = bundle.resolve("rootfs");
        }
        Platform wanted = platform == null ? Platform.host() : Platform.parse(platform);
        Output out = Output.forStdout(quiet || json);
        PullResult result;
        String shown;
        Reference parsed = image.startsWith(OCI_PREFIX) ? null : Reference.parse(image);
        try (Krgo krgo = (parsed == null ? Krgo.withDefaults() : Krgo.withDefaults(parsed.registry(), mirrors.mirror))
                .withTrust(trustFlags.trust())) {
            if (parsed == null) {
                String[] dirAndTag = splitLayout(image.substring(OCI_PREFIX.length()));
                shown = image;
                result = krgo.pull(new ImagePullRequest(krgo.ociImage(Path.of(dirAndTag[0]), dirAndTag[1], wanted),
                        null, rootfs, git, force), out.pullProgress(progress));
            } else {
                Reference ref = parsed;
                shown = ref.toString();
                PullRequest request = new PullRequest(ref, rootfs, wanted, git, force, registry.toOptions(System.in));
                result = krgo.pull(request, out.pullProgress(progress));
            }
            if (bundle != null) {
                RuntimeConfigs configs = krgo.runtimeConfigs();
                RunOptions options = RunOptions.defaults();
                if (!configs.hasCommand(rootfs)) {
                    // as umoci unpack: the pull stands, the bundle gets a default process and the user a hint
                    List<String> args = ImageConversion.BUNDLE_DEFAULT_ARGS;
                    options = options.withArgs(args);
                    out.warn(shown + " has no Entrypoint or Cmd: " + bundle.resolve("config.json") + " runs '"
                            + String.join(" ", args) + "' (as umoci unpack's); give the command with: krgo config -r "
                            + rootfs + " -o " + bundle.resolve("config.json") + " -- CMD [ARG...]");
                }
                RuntimeConfigs.Result config = configs.write(rootfs,
                        RuntimeConfigs.Format.OCI, bundle.resolve("config.json"), null, options);
                if (!config.notHonoured().isEmpty()) {
                    out.warn("not honoured by oci: " + String.join("; ", config.notHonoured()));
                }
            }
        }
        for (String warning : result.warnings()) {
            out.warn(warning);
        }
        if (json) {
            java.util.Map<String, Object> r = new java.util.LinkedHashMap<>();
            r.put("reference", shown);
            r.put("digest", result.manifestDigest().toString());
            r.put("rootfs", rootfs.toString());
            r.put("upToDate", result.upToDate());
            r.put("layers", result.layers());
            r.put("bytes", result.bytes());
            r.put("warnings", result.warnings());
            out.json(r);
        } else if (result.upToDate()) {
            out.always("Already up to date: " + rootfs + " holds " + shown + " (" + result.manifestDigest()
                    + "); use --force to pull again");
        } else {
            out.always("Done. Rootfs of " + shown + " in " + rootfs + (git ? " (git layers in "
                    + io.krgo.rootfs.RootfsLayout.of(rootfs).gitDir() + ")" : "")
                    + (bundle != null ? "; runtime bundle " + bundle + " (runc run -b " + bundle + " NAME)" : ""));
        }
        return ExitCodes.OK;
    }

    static final String OCI_PREFIX = "oci:";

    /** {@code DIR[:TAG]}: a colon after the last slash starts the tag, so DIR itself may contain colons. */
    static String[] splitLayout(String spec) {
        if (spec.isEmpty()) {
            throw new io.krgo.error.UsageException("oci: needs a directory, e.g. oci:./layout:1.0");
        }
        int slash = spec.lastIndexOf('/');
        int colon = spec.indexOf(':', slash + 1);
        if (colon < 0) {
            return new String[] {spec, null};
        }
        String dir = spec.substring(0, colon);
        String tag = spec.substring(colon + 1);
        return new String[] {dir.isEmpty() ? "." : dir, tag.isEmpty() ? null : tag};
    }
}
