package io.krgo.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The top-level {@code krgo} command: only a shell over the {@link io.krgo.Krgo} library facade. Its
 * subcommands are added by {@link Main#newCommandLine} (all, or only the one a command line names).
 */
@Command(name = "krgo", addMethodSubcommands = false,
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = "Container images without a container engine: pull an image into a root file system,"
                + " keep its layers as git branches, commit changes as a new layer, push it back.",
        footer = {"", "Exit codes: 0 ok, 1 usage, 2 not found, 3 authentication, 4 network/registry,"
                + " 5 integrity, 6 local file system, 7 unsafe or malformed image, 8 refused by policy or configuration;"
                + " run: the container's status, 125 krgo failed, 126 not executable, 127 not found."})
final class KrgoCommand implements Runnable {

    @Option(names = "--debug", scope = picocli.CommandLine.ScopeType.INHERIT,
            description = "Print HTTP requests (method, URL without query, status, time; no headers) and"
                    + " stack traces of errors, on stderr.")
    void setDebug(boolean on) {
        if (on) {
            DebugLog.enable();
        }
        debug = on;
    }

    boolean debug;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
