package io.krgo.cli;

import io.krgo.trust.ImageTrust;
import io.krgo.trust.TrustFiles;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.Clock;

/** Where the signature policy and the lookaside configuration come from (see README, Verifying images). */
final class TrustFlags {
    @Option(names = "--policy", paramLabel = "FILE",
            description = "Signature policy (containers-policy.json). Default: ~/.config/containers/policy.json,"
                    + " else /etc/containers/policy.json; with neither, any image is accepted.")
    Path policy;

    @Option(names = "--registries.d", paramLabel = "DIR",
            description = "Directory of registries.d YAML files naming each registry's signature lookaside."
                    + " Default: ~/.config/containers/registries.d, else /etc/containers/registries.d.")
    Path registriesD;

    ImageTrust trust() {
        return new ImageTrust(TrustFiles.fromSystem(policy, registriesD), Clock.systemUTC());
    }
}
