package example;

import io.krgo.Krgo;
import io.krgo.PullRequest;
import io.krgo.image.Platform;
import io.krgo.reference.Reference;
import io.krgo.registry.RegistryOptions;
import io.krgo.rootfs.ProgressListener;
import io.krgo.rootfs.PullResult;

import java.nio.file.Path;

/** Pulls IMAGE into DIR with git layers, using krgo as a library: {@code PullExample IMAGE DIR}. */
public final class PullExample {
    public static void main(String[] args) {
        try (Krgo krgo = Krgo.withDefaults()) {
            PullRequest request = new PullRequest(Reference.parse(args[0]), Path.of(args[1]), Platform.host(),
                    true, false, RegistryOptions.defaults());
            PullResult result = krgo.pull(request, ProgressListener.NONE);
            System.out.println("pulled " + result.manifestDigest() + " (" + result.layers() + " layers)");
        }
    }
}
