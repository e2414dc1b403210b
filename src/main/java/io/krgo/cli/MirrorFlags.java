package io.krgo.cli;

import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.List;

/** The {@code --mirror} flag of the commands that read an image from a registry. */
final class MirrorFlags {
    @Option(names = "--mirror", paramLabel = "HOST[:PORT]",
            description = "A pull-through cache to try before IMAGE's registry (repeatable; tried before the mirror"
                    + " file's). When it is down or lacks the image, the registry itself is used.")
    List<String> mirror = new ArrayList<>();
}
