package io.krgo.trust;

import io.krgo.image.Digest;
import io.krgo.reference.Reference;
import io.krgo.registry.CredentialResolver;
import io.krgo.registry.Mirrors;
import io.krgo.registry.RegistryEndpoint;
import io.krgo.registry.RegistryOptions;

import java.util.List;

/**
 * cosign's signatures read where registries.conf sends an image: the repository of its location, not of the
 * name the user gave (as containers/image reads them).
 */
public final class RegistryAttachments {
    private RegistryAttachments() {
    }

    /** Through an open endpoint: the attachments of its reference's repository, whatever the name asked. */
    public static SigstoreAttachments.Reader at(RegistryEndpoint at) {
        SigstoreAttachments.Reader through = SigstoreAttachments.through(at.client());
        return new SigstoreAttachments.Reader() {
            @Override
            public List<SigstoreAttachments.Attached> read(Reference r, Digest d) {
                return through.read(at.reference(), d);
            }

            @Override
            public List<String> referrerTypes(Reference r, Digest d) {
                return through.referrerTypes(at.reference(), d);
            }
        };
    }

    /** Through an endpoint opened for each question (no registry at hand yet). */
    public static SigstoreAttachments.Reader opening(Mirrors mirrors, RegistryOptions options,
                                                     CredentialResolver credentials) {
        return new SigstoreAttachments.Reader() {
            @Override
            public List<SigstoreAttachments.Attached> read(Reference r, Digest d) {
                try (RegistryEndpoint at = RegistryEndpoint.reading(mirrors, r, options, credentials)) {
                    return at(at).read(r, d);
                }
            }

            @Override
            public List<String> referrerTypes(Reference r, Digest d) {
                try (RegistryEndpoint at = RegistryEndpoint.reading(mirrors, r, options, credentials)) {
                    return at(at).referrerTypes(r, d);
                }
            }
        };
    }
}
