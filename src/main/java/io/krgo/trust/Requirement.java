package io.krgo.trust;

import java.nio.file.Path;
import java.util.List;

/** One requirement of a policy scope (containers-policy.json(5)); every requirement of the chosen scope must hold. */
public sealed interface Requirement {
    /** The policy's name for the requirement, as in the file. */
    String type();

    /** {@code insecureAcceptAnything}: any image, signed or not. */
    record InsecureAcceptAnything() implements Requirement {
        @Override
        public String type() {
            return "insecureAcceptAnything";
        }
    }

    /** {@code reject}: no image at all. */
    record Reject() implements Requirement {
        @Override
        public String type() {
            return "reject";
        }
    }

    /**
     * {@code signedBy} with {@code keyType: GPGKeys}: at least one simple signing signature by one of the keys
     * (from {@code keyPaths}, or {@code keyData} when not null) whose identity matches.
     */
    record SignedBy(List<Path> keyPaths, byte[] keyData, SignedIdentity signedIdentity) implements Requirement {
        public SignedBy {
            keyPaths = List.copyOf(keyPaths);
        }

        @Override
        public String type() {
            return "signedBy";
        }
    }

    /**
     * {@code sigstoreSigned}: a cosign signature by a key pair ({@code keyPaths} or {@code keyData}), or keyless
     * ({@code keyless} names the Fulcio/Rekor/PKI fields given; krgo refuses those, as it cannot check them).
     */
    record SigstoreSigned(List<Path> keyPaths, byte[] keyData, List<String> keyless, SignedIdentity signedIdentity)
            implements Requirement {
        public SigstoreSigned {
            keyPaths = List.copyOf(keyPaths);
            keyless = List.copyOf(keyless);
        }

        @Override
        public String type() {
            return "sigstoreSigned";
        }
    }
}
