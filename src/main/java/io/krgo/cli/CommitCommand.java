package io.krgo.cli;

import io.krgo.Krgo;
import io.krgo.gitlayers.CommitResult;
import io.krgo.image.Compression;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "commit", addMethodSubcommands = false, mixinStandardHelpOptions = true, versionProvider = VersionProvider.class, sortOptions = false,
        description = "Turn the changes in a rootfs pulled with -g into a new layer on a new branch.",
        footer = {"", "Examples:",
                "  krgo commit -m \"add a user\"               # the rootfs in ./rootfs",
                "  krgo commit -r debian -m \"nginx config\" --compression zstd"})
final class CommitCommand implements Callable<Integer> {
    @Option(names = {"-r", "--rootfs"}, paramLabel = "DIR", defaultValue = "rootfs",
            description = "The rootfs pulled with -g (default: ${DEFAULT-VALUE}).")
    Path rootfs;

    @Option(names = {"-m", "--message"}, paramLabel = "MSG", required = true,
            description = "Commit message; becomes the layer's history comment.")
    String message;

    @Option(names = "--compression", paramLabel = "gzip|zstd", defaultValue = "gzip",
            description = "Compression of the new layer (default: ${DEFAULT-VALUE}).")
    String compression;

    @Option(names = {"-q", "--quiet"}, description = "Print nothing on success.")
    boolean quiet;

    @Override
    public Integer call() throws Exception {
        Main.installNativeDigests();
        Compression c = FlagValues.layerCompression(compression);
        CommitResult r;
        try (Krgo krgo = Krgo.withDefaults()) {
            r = krgo.commit(rootfs, message, c);
        }
        if (!quiet) {
            System.out.println("Changes committed in " + r.branch());
            System.out.println("Image ID: " + r.configDigest());
            System.out.println("Parent: " + r.parentConfigDigest());
            System.out.println("Layer: " + r.layerDigest());
            System.out.println("Layer size: " + r.layerSize());
            System.out.println("Done");
        }
        return ExitCodes.OK;
    }
}
