package io.krgo.cli;

import io.krgo.registry.DockerConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.util.concurrent.Callable;

@Command(name = "logout", addMethodSubcommands = false, mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = "Remove the stored credentials of REGISTRY from the Docker config.",
        footer = {"", "Example:", "  krgo logout registry.example.com"})
final class LogoutCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "REGISTRY", description = "Registry host[:port].")
    String registry;

    @Override
    public Integer call() {
        String name = LoginCommand.normalize(registry);
        DockerConfig config = DockerConfig.fromSystem();
        Output out = Output.forStdout(false);
        if (config.erase(name)) {
            out.always("Removed the credentials for " + name + " from " + config.file());
        } else {
            out.always("Not logged in to " + name);
        }
        return ExitCodes.OK;
    }
}
