package io.krgo.trust;

import io.krgo.error.PolicyException;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where the trust configuration is read from, as the containers tools find it: the policy
 * ({@code --policy FILE}, else {@code $HOME/.config/containers/policy.json}, else
 * {@code /etc/containers/policy.json}; null when none exists, which accepts anything) and the
 * registries.d directory ({@code --registries.d DIR}, else {@code $HOME/.config/containers/registries.d}
 * when it exists, else {@code /etc/containers/registries.d}).
 */
public record TrustFiles(Path policy, Path registriesD) {
    public static final Path SYSTEM_DIR = Path.of("/etc/containers");

    /** No policy, no lookaside: accept anything (what krgo did before policies). */
    public static final TrustFiles NONE = new TrustFiles(null, null);

    /**
     * @param policyFlag      {@code --policy}, or null
     * @param registriesDFlag {@code --registries.d}, or null
     * @param home            the user's home directory
     * @param systemDir       {@code /etc/containers} (a parameter for tests)
     */
    public static TrustFiles locate(Path policyFlag, Path registriesDFlag, Path home, Path systemDir) {
        Path policy;
        if (policyFlag != null) {
            if (!Files.isRegularFile(policyFlag)) {
                throw new PolicyException("policy " + policyFlag + ": no such file");
            }
            policy = policyFlag;
        } else {
            Path user = home.resolve(".config/containers/policy.json");
            Path system = systemDir.resolve("policy.json");
            policy = Files.exists(user) ? user : Files.exists(system) ? system : null;
        }
        Path dir;
        if (registriesDFlag != null) {
            if (!Files.isDirectory(registriesDFlag)) {
                throw new PolicyException("registries.d " + registriesDFlag + ": no such directory");
            }
            dir = registriesDFlag;
        } else {
            Path user = home.resolve(".config/containers/registries.d");
            dir = Files.isDirectory(user) ? user : systemDir.resolve("registries.d");
        }
        return new TrustFiles(policy, dir);
    }

    /** {@link #locate} with the user's home and {@code /etc/containers}. */
    public static TrustFiles fromSystem(Path policyFlag, Path registriesDFlag) {
        return locate(policyFlag, registriesDFlag, Path.of(System.getProperty("user.home")), SYSTEM_DIR);
    }
}
