package io.krgo.trust;

/**
 * How the identity a signature claims must relate to the image being fetched ({@code signedIdentity} of
 * containers-policy.json(5)); the matching rules are containers/image's.
 */
public sealed interface SignedIdentity {
    /** Whether a signature claiming {@code signed} is accepted for the image {@code image}. */
    boolean matches(DockerName image, DockerName signed);

    /** The policy's name for this rule. */
    String type();

    /** The default: a reference by digest needs the same repository, one by tag the same repository and tag. */
    record MatchRepoDigestOrExact() implements SignedIdentity {
        @Override
        public boolean matches(DockerName image, DockerName signed) {
            if (image.digested()) {
                return image.name().equals(signed.name());
            }
            return !signed.bare() && image.toString().equals(signed.toString());
        }

        @Override
        public String type() {
            return "matchRepoDigestOrExact";
        }
    }

    /** The same repository and the same tag or digest. */
    record MatchExact() implements SignedIdentity {
        @Override
        public boolean matches(DockerName image, DockerName signed) {
            return !signed.bare() && image.toString().equals(signed.toString());
        }

        @Override
        public String type() {
            return "matchExact";
        }
    }

    /** The same repository, any tag or digest. */
    record MatchRepository() implements SignedIdentity {
        @Override
        public boolean matches(DockerName image, DockerName signed) {
            return image.name().equals(signed.name());
        }

        @Override
        public String type() {
            return "matchRepository";
        }
    }

    /** The signature must name exactly {@code reference} (with its tag or digest), whatever is fetched. */
    record ExactReference(DockerName reference) implements SignedIdentity {
        @Override
        public boolean matches(DockerName image, DockerName signed) {
            return !signed.bare() && reference.toString().equals(signed.toString());
        }

        @Override
        public String type() {
            return "exactReference";
        }
    }

    /** The signature must name the repository {@code repository}, with any tag or digest. */
    record ExactRepository(DockerName repository) implements SignedIdentity {
        @Override
        public boolean matches(DockerName image, DockerName signed) {
            return repository.name().equals(signed.name());
        }

        @Override
        public String type() {
            return "exactRepository";
        }
    }

    /**
     * As {@link MatchRepoDigestOrExact} after the image's name, when it starts with {@code prefix} (whole
     * path components), has that prefix replaced by {@code signedPrefix}: images mirrored under another name.
     */
    record RemapIdentity(String prefix, String signedPrefix) implements SignedIdentity {
        @Override
        public boolean matches(DockerName image, DockerName signed) {
            return new MatchRepoDigestOrExact().matches(remap(image), signed);
        }

        DockerName remap(DockerName image) {
            String name = image.name();
            boolean under = name.equals(prefix) || (name.startsWith(prefix) && name.charAt(prefix.length()) == '/');
            if (!under) {
                return image;
            }
            return new DockerName(signedPrefix + name.substring(prefix.length()), image.suffix());
        }

        @Override
        public String type() {
            return "remapIdentity";
        }
    }
}
