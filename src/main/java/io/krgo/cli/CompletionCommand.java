package io.krgo.cli;

import io.krgo.error.UsageException;
import picocli.AutoComplete;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.util.concurrent.Callable;

@Command(name = "completion", addMethodSubcommands = false, mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = "Print a shell completion script (bash; zsh reads it through bashcompinit).",
        footer = {"", "Examples:",
                "  source <(krgo completion bash)",
                "  krgo completion bash > /etc/bash_completion.d/krgo"})
final class CompletionCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "SHELL", defaultValue = "bash", description = "bash or zsh (default: bash).")
    String shell;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        if (!shell.equals("bash") && !shell.equals("zsh")) {
            throw new UsageException("completion supports bash and zsh, not '" + shell + "'");
        }
        String script = AutoComplete.bash("krgo", spec.root().commandLine());
        System.out.print(script);
        System.out.flush();
        return ExitCodes.OK;
    }
}
