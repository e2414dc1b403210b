package io.krgo.cli;

import picocli.CommandLine.Command;

/** {@code krgo version}, as the 2015 tool had it; same output as {@code --version}. */
@Command(name = "version", addMethodSubcommands = false, mixinStandardHelpOptions = true, versionProvider = VersionProvider.class, description = "Print krgo's version.")
final class VersionCommand implements Runnable {
    @Override
    public void run() {
        for (String line : new VersionProvider().getVersion()) {
            System.out.println(line);
        }
    }
}
