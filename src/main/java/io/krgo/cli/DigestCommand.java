package io.krgo.cli;

import io.krgo.Krgo;
import io.krgo.image.Descriptor;
import io.krgo.reference.Reference;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "digest", addMethodSubcommands = false, mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        sortOptions = false,
        description = "Print the digest of the manifest IMAGE names (of the index, when the tag names one).",
        footer = {"", "Examples:",
                "  krgo digest debian:12",
                "  krgo pull \"debian@$(krgo digest debian:12)\"   # pin what you pull"})
final class DigestCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "IMAGE", description = "[REGISTRY/]REPOSITORY[:TAG][@DIGEST].")
    String image;

    @Option(names = "--json", description = "Print digest, media type and size as JSON.")
    boolean json;

    @Mixin
    RegistryFlags registry;

    @Override
    public Integer call() {
        Reference ref = Reference.parse(image);
        Descriptor d;
        try (Krgo krgo = Krgo.withDefaults()) {
            d = krgo.digest(ref, registry.toOptions(System.in));
        }
        Output out = Output.forStdout(false);
        if (json) {
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("reference", ref.toString());
            r.put("digest", d.digest());
            r.put("mediaType", d.mediaType());
            r.put("size", d.size());
            out.json(r);
        } else {
            out.always(d.digest());
        }
        return ExitCodes.OK;
    }
}
