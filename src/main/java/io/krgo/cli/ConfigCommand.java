package io.krgo.cli;

import io.krgo.Krgo;
import io.krgo.error.UsageException;
import io.krgo.runtime.RuntimeConfigs;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

@Command(name = "config", addMethodSubcommands = false, mixinStandardHelpOptions = false, versionProvider = VersionProvider.class,
        sortOptions = false,
        description = "Write the runtime configuration for a pulled rootfs from its recorded image config:"
                + " an OCI config.json (runc, crun), a .nspawn file (systemd-nspawn) or an LXC config.",
        footer = {"", "Examples:",
                "  krgo config -r rootfs                       # ./config.json: runc run -b . NAME",
                "  krgo config -r img --format nspawn          # img.nspawn: systemd-nspawn -D img",
                "  krgo config -r img --format lxc -o img.conf # lxc-execute -n NAME -f img.conf",
                "  krgo config -r rootfs -e DEBUG=1 -u nobody -- sh -c 'id'"})
final class ConfigCommand implements Callable<Integer> {
    @Option(names = {"-r", "--rootfs"}, paramLabel = "DIR", defaultValue = "rootfs",
            description = "The pulled rootfs (default: ${DEFAULT-VALUE}).")
    Path rootfs;

    @Option(names = "--format", paramLabel = "oci|nspawn|lxc", defaultValue = "oci",
            description = "oci: config.json beside DIR; nspawn: DIR.nspawn; lxc: DIR.lxc (default: ${DEFAULT-VALUE}).")
    String format;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "Write here instead (- for standard output).")
    String output;

    @Option(names = "--rootless", negatable = true, description = "oci: a config for runc's rootless mode, its own user"
            + " namespace mapping one id to root (yours; as root DIR's owner's); --no-rootless: root's config"
            + " (default: rootless unless you are root).")
    Boolean rootless;

    @Option(names = "--json", description = "Print where the config went and what the format cannot honour as JSON.")
    boolean json;

    @Option(names = "--help", usageHelp = true, description = "Show this help message and exit.")
    boolean help;

    @Mixin
    RunFlags run;

    @Parameters(paramLabel = "ARG", arity = "0..*", description = "Replace the image's Cmd (after --).")
    List<String> args = new ArrayList<>();

    @Override
    public Integer call() {
        RuntimeConfigs.Format f = FlagValues.runtimeFormat(format);
        Path out = output == null ? RuntimeConfigs.defaultOutput(rootfs, f) : output.equals("-") ? null : Path.of(output);
        RuntimeConfigs.Result r;
        if (rootless != null && f != RuntimeConfigs.Format.OCI) {
            throw new UsageException("--" + (rootless ? "" : "no-") + "rootless is for --format oci (runc, crun)");
        }
        try (Krgo krgo = Krgo.withDefaults()) {
            RuntimeConfigs configs = rootless == null ? krgo.runtimeConfigs() : krgo.runtimeConfigs(rootfs, rootless);
            r = configs.write(rootfs, f, out, System.out, run.toOptions(args));
        }
        Output o = Output.forStdout(json || out == null);
        if (!r.notHonoured().isEmpty()) {
            o.warn("not honoured by " + f.name().toLowerCase(Locale.ROOT) + ": " + String.join("; ", r.notHonoured()));
        }
        if (json) {
            java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
            m.put("format", f.name().toLowerCase(Locale.ROOT));
            m.put("file", out == null ? null : out.toString());
            m.put("notHonoured", r.notHonoured());
            o.json(m);
        } else if (out != null) {
            o.always("Wrote " + out);
        }
        return ExitCodes.OK;
    }
}
