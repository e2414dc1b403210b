package io.krgo;

import io.krgo.compress.Decompression;
import io.krgo.gitlayers.GitLayers;
import io.krgo.image.Descriptor;
import io.krgo.image.Digest;
import io.krgo.image.Platform;
import io.krgo.reference.Reference;
import io.krgo.registry.CredentialResolver;
import io.krgo.registry.MirrorFallback;
import io.krgo.registry.Mirrors;
import io.krgo.registry.RegistryImage;
import io.krgo.registry.RegistryOptions;
import io.krgo.rootfs.ProgressListener;
import io.krgo.rootfs.PullResult;
import io.krgo.rootfs.PulledState;
import io.krgo.rootfs.RootfsMetadata;
import io.krgo.rootfs.RootfsOptions;
import io.krgo.rootfs.RootfsWriter;
import io.krgo.store.BlobStore;
import io.krgo.store.DockerArchive;
import io.krgo.store.OciLayout;
import io.krgo.store.StoredConfigs;
import io.krgo.trust.ImageTrust;
import io.krgo.trust.RegistryAttachments;
import io.krgo.trust.SigstoreAttachments;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * Reading one image from a registry (through its mirrors) into a sink: a rootfs directory, an OCI layout or a
 * docker-archive; the trust policy decides before anything is written.
 */
record Pulls(BlobStore store, CredentialResolver credentials, Mirrors mirrors, ImageTrust trust) {
    /** See {@link Krgo#pull(PullRequest, ProgressListener)}. */
    PullResult pull(PullRequest request, ProgressListener progress) {
        Reference ref = request.reference();
        PulledState pulled = request.force() ? null
                : PulledState.read(request.rootfs(), request.gitLayers()).orElse(null);
        Path verdict = RootfsMetadata.of(request.rootfs()).trustVerdict();
        if (pulled != null && ref.digest() != null && pulled.holds(ref.digest(), request.platform())) {
            // the policy may have changed since: verified again unless remembered under the same policy and keys
            trust.checkRemembered(ref, Digest.parse(pulled.manifestDigest()),
                    RegistryAttachments.opening(mirrors, request.registry(), credentials), verdict);
            return pulled.upToDate(request.rootfs(), List.of()); // content-addressed: nothing to ask
        }
        if (pulled == null) {
            Decompression.prepareInBackground(); // layers will follow the manifest
        }
        Predicate<String> held = pulled == null ? null : served -> pulled.holds(served, request.platform());
        try (MirrorFallback.Source source = open(ref, request.registry(), request.platform(), held)) {
            SigstoreAttachments.Reader attachments = SigstoreAttachments.through(source.client());
            if (pulled != null) { // an up-to-date DIR may remember the verdict
                trust.checkRemembered(ref, checked(source, pulled), attachments, verdict);
            } else {
                trust.check(ref, checked(source, null), attachments); // before anything is written
            }
            if (source.image() == null) {
                return pulled.upToDate(request.rootfs(), source.warnings());
            }
            PullResult r = pull(new ImagePullRequest(source.image(), ref.toString(), request.rootfs(),
                    request.gitLayers(), request.force()), progress);
            trust.remember(ref, checked(source, null), verdict);
            source.image().indexDescriptor().ifPresent(index -> PulledState.recordSource(request.rootfs(),
                    r.manifestDigest().toString(), index.digest(), request.platform()));
            if (source.warnings().isEmpty()) {
                return r;
            }
            List<String> warnings = new ArrayList<>(source.warnings());
            warnings.addAll(r.warnings());
            return new PullResult(r.manifestDigest(), r.upToDate(), r.layers(), r.bytes(), r.devicesSkipped(), warnings);
        }
    }

    /** See {@link Krgo#pull(ImagePullRequest, ProgressListener)}. */
    PullResult pull(ImagePullRequest request, ProgressListener progress) {
        Path rootfs = request.rootfs();
        GitLayers git = request.gitLayers() ? new GitLayers(store, rootfs) : null;
        RootfsOptions options = RootfsOptions.pulling(request.image(), rootfs, request.force(),
                git != null && !git.exists());
        return new RootfsWriter(store).write(request.image(), request.reference(), rootfs, options, git, progress);
    }

    /** See {@link Krgo#exportOci(Reference, RegistryOptions, Platform, Path, String)}. */
    Descriptor exportOci(Reference source, RegistryOptions options, Platform platform, Path dir, String tag) {
        try (MirrorFallback.Source from = open(source, options, platform, null)) {
            trust.check(source, checked(from, null), SigstoreAttachments.through(from.client()));
            RegistryImage image = from.image();
            new OciLayout(dir).write(image, tag);
            return image.descriptor();
        }
    }

    /** See {@link Krgo#exportTar}. */
    Descriptor exportTar(Reference source, RegistryOptions options, Platform platform, Path file,
                         List<String> repoTags) {
        try (MirrorFallback.Source from = open(source, options, platform, null)) {
            trust.check(source, checked(from, null), SigstoreAttachments.through(from.client()));
            RegistryImage image = from.image();
            DockerArchive.write(image, repoTags, file);
            return image.descriptor();
        }
    }

    /** The source through the mirrors, its config read from the content store when there and kept there when not. */
    private MirrorFallback.Source open(Reference ref, RegistryOptions options, Platform platform,
                                       Predicate<String> held) {
        StoredConfigs configs = new StoredConfigs(store);
        MirrorFallback.Source source = new MirrorFallback(mirrors, credentials)
                .open(ref, options, platform, held, configs::find);
        try {
            if (source.image() != null) {
                configs.keep(source.image().manifest().config(), source.image().rawConfig());
            }
            return source;
        } catch (RuntimeException e) {
            source.close();
            throw e;
        }
    }

    /**
     * The digest whose signatures the policy checks: the image manifest about to be used, also when the
     * reference names an index, as containers/image checks (skopeo 1.9 refuses an image whose index alone is
     * signed); {@code pulled}'s manifest when DIR already holds it.
     */
    private static Digest checked(MirrorFallback.Source source, PulledState pulled) {
        return Digest.parse(source.image() == null ? pulled.manifestDigest() : source.image().descriptor().digest());
    }
}
