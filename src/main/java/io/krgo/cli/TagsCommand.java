package io.krgo.cli;

import io.krgo.Krgo;
import io.krgo.error.UsageException;
import io.krgo.reference.Reference;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "tags", addMethodSubcommands = false, mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        sortOptions = false,
        description = "List the tags of a repository, one per line (every page of a paginated list).",
        footer = {"", "Examples:",
                "  krgo tags debian",
                "  krgo tags 127.0.0.1:5000/team/app --json"})
final class TagsCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "REPO", description = "[REGISTRY/]REPOSITORY (a tag or digest is ignored).")
    String repository;

    @Option(names = "--page-size", paramLabel = "N", defaultValue = "0",
            description = "Ask the registry for N tags per page (default: the registry's choice).")
    int pageSize;

    @Option(names = "--json", description = "Print the tags as a JSON array.")
    boolean json;

    @Mixin
    RegistryFlags registry;

    @Override
    public Integer call() {
        if (pageSize < 0) {
            throw new UsageException("--page-size must not be negative");
        }
        Reference ref = Reference.parse(repository);
        List<String> tags;
        try (Krgo krgo = Krgo.withDefaults()) {
            tags = krgo.tags(ref, pageSize, registry.toOptions(System.in));
        }
        Output out = Output.forStdout(false);
        if (json) {
            out.json(tags);
        } else {
            tags.forEach(out::always);
        }
        return ExitCodes.OK;
    }
}
