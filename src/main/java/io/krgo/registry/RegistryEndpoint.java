package io.krgo.registry;

import io.krgo.reference.Reference;

/**
 * A client for where registries.conf sends a reference, and the reference there: reads go to the entry's
 * {@code location} (remapped), writes to the name as given (as containers/image does: a push never goes to a
 * mirror or a remapped location); both honour {@code blocked} (a {@link io.krgo.error.PolicyException}) and
 * {@code insecure}. Pulls, which also try mirrors, use {@link MirrorFallback}.
 */
public record RegistryEndpoint(RegistryClient client, Reference reference) implements AutoCloseable {

    /** For reading {@code ref} without mirrors: inspect, digest, tags, verify, copy's source. */
    public static RegistryEndpoint reading(Mirrors mirrors, Reference ref, RegistryOptions options,
                                           CredentialResolver credentials) {
        return open(mirrors.readFrom(ref), options, credentials);
    }

    /** For writing {@code ref}: push, copy's target. */
    public static RegistryEndpoint writing(Mirrors mirrors, Reference ref, RegistryOptions options,
                                           CredentialResolver credentials) {
        return open(mirrors.writeTo(ref), options, credentials);
    }

    private static RegistryEndpoint open(Mirrors.PullSource source, RegistryOptions options,
                                         CredentialResolver credentials) {
        RegistryOptions o = source.insecure() ? options.withInsecure(true) : options;
        return new RegistryEndpoint(RegistryClient.forReference(source.reference(), o, credentials), source.reference());
    }

    @Override
    public void close() {
        client.close();
    }
}
