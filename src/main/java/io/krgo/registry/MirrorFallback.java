package io.krgo.registry;

import io.krgo.error.AuthException;
import io.krgo.error.NotFoundException;
import io.krgo.error.RegistryException;
import io.krgo.image.Descriptor;
import io.krgo.image.Platform;
import io.krgo.reference.Reference;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * Resolves an image to pull through its registry's mirrors first, then the registry itself. A mirror that is
 * down, refuses us or lacks the image is skipped with a warning; an image found on a mirror is read wholly
 * from it (blobs verified as always, so a mirror cannot alter content pinned by digest).
 */
public final class MirrorFallback {
    /** A mirror that is down, or accepts and never answers, costs at most ~5 s before the next source. */
    private static final RetryPolicy MIRROR_RETRY = new RetryPolicy(2, Duration.ofMillis(200), Duration.ofSeconds(5));
    private static final Duration MIRROR_TIMEOUT = Duration.ofSeconds(5);

    private final Mirrors mirrors;
    private final CredentialResolver credentials;

    public MirrorFallback(Mirrors mirrors, CredentialResolver credentials) {
        this.mirrors = mirrors;
        this.credentials = credentials;
    }

    /**
     * The image resolved (null: the caller already holds what the registry serves, nothing else was fetched),
     * the open client its layers stream from, the mirrors skipped, and the digest served when the image is null.
     */
    public record Source(RegistryClient client, RegistryImage image, List<String> warnings, String served)
            implements AutoCloseable {
        @Override
        public void close() {
            client.close();
        }
    }

    /** {@link #open(Reference, RegistryOptions, Platform, Predicate, Function)}, nothing held, no config known. */
    public Source open(Reference ref, RegistryOptions options, Platform platform) {
        return open(ref, options, platform, null, d -> Optional.empty());
    }

    /**
     * @param held         when given, the registry that answers is first asked for the digest alone (HEAD), and
     *                     when {@code held} accepts it, the source has no image: nothing else is fetched or parsed
     * @param storedConfig a config already at hand (verified as the registry's would be), saving its GET
     */
    public Source open(Reference ref, RegistryOptions options, Platform platform, Predicate<String> held,
                       Function<Descriptor, Optional<byte[]>> storedConfig) {
        List<String> warnings = new ArrayList<>();
        List<Mirrors.PullSource> sources = mirrors.sources(ref);
        for (Mirrors.PullSource mirror : sources.subList(0, sources.size() - 1)) {
            Reference viaMirror = mirror.reference();
            RegistryClient client = RegistryClient.forReference(viaMirror, mirrorOptions(options, mirror), credentials);
            try {
                return resolve(client, viaMirror, platform, held, storedConfig, warnings);
            } catch (RegistryException | NotFoundException | AuthException e) {
                client.close();
                warnings.add("mirror " + viaMirror.registry() + " skipped: " + e.getMessage());
            }
        }
        Mirrors.PullSource origin = sources.get(sources.size() - 1);
        Reference at = origin.reference();
        RegistryClient client = RegistryClient.forReference(at, origin.insecure() ? options.withInsecure(true) : options,
                credentials);
        try {
            return resolve(client, at, platform, held, storedConfig, warnings);
        } catch (RuntimeException e) {
            client.close();
            throw e;
        }
    }

    /** Mirror credentials come from the auth files, never from the origin's -u; fail fast to fall back. */
    private static RegistryOptions mirrorOptions(RegistryOptions options, Mirrors.PullSource mirror) {
        return options.withCredentials(null)
                .withInsecure(options.insecure() || mirror.insecure())
                .withRetry(MIRROR_RETRY)
                .withTimeouts(MIRROR_TIMEOUT, MIRROR_TIMEOUT);
    }

    private static Source resolve(RegistryClient client, Reference ref, Platform platform, Predicate<String> held,
                                  Function<Descriptor, Optional<byte[]>> storedConfig, List<String> warnings) {
        if (held != null) {
            Optional<Descriptor> served;
            try {
                served = client.headManifest(ref.repository(), ref.identifier());
            } catch (RegistryException headRefused) {
                served = Optional.empty(); // e.g. 405 from a proxy without HEAD: the GET below decides
            }
            if (served.isPresent() && held.test(served.get().digest())) {
                return new Source(client, null, warnings, served.get().digest());
            }
        }
        return new Source(client, RegistryImage.resolve(client, ref, platform, storedConfig), warnings, null);
    }
}
