package io.krgo;

import io.krgo.error.UnsafeImageException;
import io.krgo.image.Descriptor;
import io.krgo.image.Digest;
import io.krgo.image.Image;
import io.krgo.image.MediaTypes;
import io.krgo.image.Platform;
import io.krgo.reference.Reference;
import io.krgo.registry.CredentialResolver;
import io.krgo.registry.ImagePusher;
import io.krgo.registry.Mirrors;
import io.krgo.registry.RawManifest;
import io.krgo.registry.RegistryClient;
import io.krgo.registry.RegistryEndpoint;
import io.krgo.registry.RegistryImage;
import io.krgo.registry.RegistryOptions;
import io.krgo.store.OciLayout;
import io.krgo.trust.ImageTrust;
import io.krgo.trust.RegistryAttachments;
import io.krgo.trust.SigstoreAttachments;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Images copied as they are, from a registry to a registry or an OCI layout: one image, or with {@code all} every
 * image of an index and the index itself byte for byte (so its digest is kept).
 */
record Copies(CredentialResolver credentials, Mirrors mirrors, ImageTrust trust) {
    /** See {@link Krgo#copy}. */
    ImagePusher.Result copy(Reference source, RegistryOptions sourceOptions, Reference target,
                            RegistryOptions targetOptions, Platform platform, boolean all,
                            ImagePusher.Listener listener) {
        try (RegistryEndpoint reading = RegistryEndpoint.reading(mirrors, source, sourceOptions, credentials);
             RegistryEndpoint writing = RegistryEndpoint.writing(mirrors, target, targetOptions, credentials)) {
            RegistryClient from = reading.client();
            Reference there = reading.reference();
            ImagePusher pusher = new ImagePusher(writing.client(), Krgo.PUSH_PARALLELISM);
            RawManifest top = from.getManifest(there.repository(), there.identifier());
            checkImages(source, top, all, platform, RegistryAttachments.at(reading)); // before anything is written
            if (all && top.isIndex()) {
                return pusher.pushIndex(top.bytes(), top.mediaType(), indexImages(from, there, top, platform), target,
                        listener);
            }
            Reference pinned = there.withDigest(top.isIndex() ? top.index().select(platform).digest()
                    : top.digest().toString());
            return pusher.push(RegistryImage.resolve(from, pinned, platform), target, listener);
        }
    }

    /** See {@link Krgo#exportOci(Reference, RegistryOptions, Platform, Path, String, boolean)} with {@code all}. */
    Descriptor exportAll(Reference source, RegistryOptions options, Platform platform, Path dir, String tag) {
        try (RegistryEndpoint at = RegistryEndpoint.reading(mirrors, source, options, credentials)) {
            RegistryClient client = at.client();
            Reference there = at.reference();
            RawManifest top = client.getManifest(there.repository(), there.identifier());
            checkImages(source, top, true, platform, RegistryAttachments.at(at));
            if (!top.isIndex()) {
                RegistryImage image = RegistryImage.resolve(client, there.withDigest(top.digest().toString()), platform);
                new OciLayout(dir).write(image, tag);
                return image.descriptor();
            }
            new OciLayout(dir).writeIndex(top.bytes(), top.mediaType(), indexImages(client, there, top, platform), tag);
            return top.descriptor();
        }
    }

    /**
     * The policy for what copy and export read from {@code top}: each image of an index with {@code all}, else
     * the image for {@code platform} (containers/image checks the image manifests, not the index).
     */
    private void checkImages(Reference source, RawManifest top, boolean all, Platform platform,
                             SigstoreAttachments.Reader attachments) {
        if (!top.isIndex()) {
            trust.check(source, top.digest(), attachments);
        } else if (!all) {
            trust.check(source, Digest.parse(top.index().select(platform).digest()), attachments);
        } else {
            for (Descriptor entry : top.index().manifests()) {
                trust.check(source, entry.parsedDigest(), attachments);
            }
        }
    }

    private static List<Image> indexImages(RegistryClient client, Reference source, RawManifest top,
                                           Platform platform) {
        List<Image> images = new ArrayList<>();
        for (Descriptor entry : top.index().manifests()) {
            if (MediaTypes.isIndex(entry.mediaType())) {
                throw new UnsafeImageException("index " + top.digest()
                        + " contains another index; nested indexes are unsupported");
            }
            images.add(RegistryImage.resolve(client, source.withDigest(entry.digest()), platform));
        }
        return images;
    }
}
