package io.krgo.registry;

import io.krgo.error.KrgoException;
import io.krgo.error.RegistryException;
import io.krgo.image.BlobLocation;
import io.krgo.image.Descriptor;
import io.krgo.image.Digest;
import io.krgo.image.Image;
import io.krgo.image.Layer;
import io.krgo.reference.Reference;

import java.io.ByteArrayInputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The registry sink: writes an {@link Image} to a repository. Each layer is skipped when the repository
 * has it, mounted when another repository of the same registry is known to have it, uploaded otherwise;
 * then the config, then the manifest under the tag. The tag is written last, so it never points at a
 * manifest whose blobs are missing.
 */
public final class ImagePusher {
    /** What happened to one blob. */
    public enum BlobAction { EXISTED, MOUNTED, UPLOADED }

    /** Told about each layer as it completes (from worker threads). */
    @FunctionalInterface
    public interface Listener {
        void layerDone(int index, Descriptor layer, BlobAction action);

        Listener NONE = (i, d, a) -> { };
    }

    /** The pushed manifest and what happened to every layer, in manifest order. */
    public record Result(Reference reference, Descriptor manifest, List<BlobAction> layerActions) {
        public Result {
            layerActions = List.copyOf(layerActions);
        }

        public long count(BlobAction action) {
            return layerActions.stream().filter(a -> a == action).count();
        }
    }

    private final RegistryClient client;
    private final int parallelism;

    /** @param parallelism how many blobs travel at once */
    public ImagePusher(RegistryClient client, int parallelism) {
        this.client = client;
        this.parallelism = Math.max(1, parallelism);
    }

    public Result push(Image image, Reference target, Listener listener) {
        return push(image, target, listener, java.util.Set.of());
    }

    /**
     * As {@link #push(Image, Reference, Listener)}; the layers whose digests are in {@code uploaded} were
     * already uploaded by the caller (e.g. streamed while they were written; the registry acknowledged
     * them) and count as uploaded.
     */
    public Result push(Image image, Reference target, Listener listener, java.util.Set<String> uploaded) {
        String repo = target.repository();
        List<Layer> layers = image.layers();
        List<Descriptor> declared = image.manifest().layers();
        if (declared.size() != layers.size()) {
            throw new IllegalStateException("manifest and image disagree on the layer count");
        }
        List<BlobAction> actions = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(parallelism, layers.size() + 1),
                r -> {
                    Thread t = new Thread(r, "krgo-push");
                    t.setDaemon(true);
                    return t;
                });
        try {
            List<Future<BlobAction>> futures = new ArrayList<>();
            for (int i = 0; i < layers.size(); i++) {
                int index = i;
                Layer layer = layers.get(i);
                Descriptor d = declared.get(i);
                futures.add(pool.submit(() -> {
                    // the registry acknowledged a layer the caller uploaded (201): no need to ask again
                    BlobAction a = uploaded.contains(d.digest()) ? BlobAction.UPLOADED
                            : pushLayer(repo, target.registry(), layer, d);
                    listener.layerDone(index, d, a);
                    return a;
                }));
            }
            Descriptor cfg = image.manifest().config();
            byte[] config = image.rawConfig();
            // beside the layers; uploadBlob skips it when the repository has it
            Future<?> configDone = pool.submit(() -> client.uploadBlob(repo, cfg, () -> new ByteArrayInputStream(config)));
            for (Future<BlobAction> f : futures) {
                actions.add(await(f));
            }
            await(configDone);
        } finally {
            pool.shutdownNow();
        }
        byte[] manifest = image.rawManifest();
        String tagOrDigest = target.tag() != null ? target.tag() : Digest.sha256(manifest).toString();
        Descriptor pushed = client.putManifest(repo, tagOrDigest, manifest, image.descriptor().mediaType());
        return new Result(target.withDigest(pushed.digest()), pushed, actions);
    }

    /**
     * Pushes the images of an index (each by digest), then the index bytes exactly as given under
     * {@code target}'s tag, so the index keeps its digest. {@code images} must be the index's entries.
     */
    public Result pushIndex(byte[] rawIndex, String mediaType, List<Image> images, Reference target,
                            Listener listener) {
        java.util.Set<String> entries = new java.util.HashSet<>();
        for (Descriptor d : io.krgo.image.Index.parse(rawIndex, mediaType).manifests()) {
            entries.add(d.digest());
        }
        java.util.Set<String> given = new java.util.HashSet<>();
        images.forEach(i -> given.add(i.descriptor().digest()));
        if (!entries.equals(given)) {
            throw new IllegalArgumentException("the images given are not the index's entries");
        }
        List<BlobAction> actions = new ArrayList<>();
        Reference untagged = new Reference(target.registry(), target.repository(), null, "sha256:" + "0".repeat(64));
        for (Image image : images) {
            actions.addAll(push(image, untagged.withDigest(image.descriptor().digest()), listener).layerActions());
        }
        String tagOrDigest = target.tag() != null ? target.tag() : Digest.sha256(rawIndex).toString();
        Descriptor pushed = client.putManifest(target.repository(), tagOrDigest, rawIndex, mediaType);
        return new Result(target.withDigest(pushed.digest()), pushed, actions);
    }

    private BlobAction pushLayer(String repo, String registry, Layer layer, Descriptor d) {
        Digest digest = d.parsedDigest();
        if (client.blobExists(repo, digest)) {
            return BlobAction.EXISTED;
        }
        Optional<BlobLocation> origin = layer.origin();
        if (origin.isPresent() && origin.get().registry().equals(registry)
                && !origin.get().repository().equals(repo)) {
            try {
                if (client.mountBlob(repo, digest, origin.get().repository())) {
                    return BlobAction.MOUNTED;
                }
            } catch (KrgoException e) {
                // A refused mount (e.g. no pull access to the source) is not fatal: upload instead.
            }
        }
        client.uploadBlob(repo, d, layer::open);
        return BlobAction.UPLOADED;
    }

    private static <T> T await(Future<T> f) {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RegistryException("push interrupted", e);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof RuntimeException r) {
                throw r;
            }
            throw new RegistryException("push failed: " + c, c);
        }
    }
}
