package io.krgo.cli;

import io.krgo.Krgo;
import io.krgo.error.PolicyException;
import io.krgo.reference.Reference;
import io.krgo.trust.ImageTrust;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "verify", addMethodSubcommands = false, mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        sortOptions = false,
        description = "Check IMAGE against the signature policy without pulling it: the policy scope that applies, and"
                + " per signature the key fingerprint, signed identity and manifest digest. Exit 8 when refused.",
        footer = {"", "Examples:",
                "  krgo verify 127.0.0.1:5000/team/app:1.0",
                "  krgo verify example.com/app:1 --policy policy.json --registries.d ./registries.d --json"})
final class VerifyCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "IMAGE", description = "Image reference [REGISTRY/]REPOSITORY[:TAG][@DIGEST].")
    String image;

    @Option(names = "--json", description = "Print the result as JSON.")
    boolean json;

    @Option(names = "--platform", paramLabel = "OS/ARCH[/VARIANT]",
            description = "When IMAGE is an index, the platform whose image is checked, as pull would (default:"
                    + " this machine's).")
    String platform;

    @Mixin
    TrustFlags trustFlags;

    @Mixin
    RegistryFlags registry;

    @Override
    public Integer call() {
        Reference ref = Reference.parse(image);
        ImageTrust.Evaluation e;
        try (Krgo krgo = Krgo.withDefaults().withTrust(trustFlags.trust())) {
            e = krgo.verify(ref, platform == null ? io.krgo.image.Platform.host()
                    : io.krgo.image.Platform.parse(platform), registry.toOptions(System.in));
        }
        Output out = Output.forStdout(json);
        if (json) {
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("reference", ref.toString());
            r.put("digest", e.manifestDigest().toString());
            r.put("policy", e.scope() == null ? null : String.valueOf(trustFlags.trust().files().policy()));
            r.put("scope", e.scope() == null ? null : e.scope().describe());
            r.put("accepted", e.accepted());
            r.put("refusal", e.refusal());
            List<Map<String, Object>> sigs = new ArrayList<>();
            for (ImageTrust.SignatureCheck c : e.signatures()) {
                Map<String, Object> s = new LinkedHashMap<>();
                s.put("index", c.index());
                s.put("fingerprint", c.fingerprint());
                s.put("identity", c.identity());
                s.put("digest", c.manifestDigest());
                s.put("accepted", c.accepted());
                s.put("problem", c.problem());
                sigs.add(s);
            }
            r.put("signatures", sigs);
            out.json(r);
        } else {
            out.always(ref + " " + e.manifestDigest());
            if (e.scope() == null) {
                out.always("No policy file: any image is accepted (see krgo verify --help for --policy)");
            } else {
                out.always("Policy scope: " + e.scope().describe());
            }
            for (ImageTrust.SignatureCheck c : e.signatures()) {
                out.always("signature-" + c.index() + ": " + (c.accepted() ? "accepted" : "refused")
                        + (c.fingerprint() == null ? "" : ", key " + c.fingerprint())
                        + (c.identity() == null ? "" : ", identity " + c.identity())
                        + (c.manifestDigest() == null ? "" : ", digest " + c.manifestDigest())
                        + (c.accepted() ? "" : ": " + c.problem()));
            }
            if (e.accepted()) {
                out.always("Accepted");
            }
        }
        if (!e.accepted()) {
            throw new PolicyException(e.refusal());
        }
        return ExitCodes.OK;
    }
}
