/**
 * Trust in what is pulled, as the containers tools (skopeo, podman, CRI-O) decide it: the signature policy
 * ({@code containers-policy.json(5)}: {@link io.krgo.trust.Policy}, {@link io.krgo.trust.PolicyParser}),
 * where signatures are kept ({@code containers-registries.d(5)}: {@link io.krgo.trust.RegistriesD},
 * {@link io.krgo.trust.Lookaside}), the "simple signing" payload ({@link io.krgo.trust.SimpleSigning}),
 * OpenPGP verification and signing with Bouncy Castle ({@link io.krgo.trust.PgpVerifier},
 * {@link io.krgo.trust.PgpSigner}) or the {@code gpg} binary ({@link io.krgo.trust.GpgSigner}), cosign key
 * pairs (verified by {@link io.krgo.trust.CosignVerifier}; signed by {@link io.krgo.trust.CosignSigner} with
 * keys from {@link io.krgo.trust.CosignKeyFile}; stored by {@link io.krgo.trust.SigstoreAttachments}), the
 * decision itself ({@link io.krgo.trust.ImageTrust}) and the verdicts it remembers ({@code Verdicts}).
 * <p>
 * Sits above {@code io.krgo.registry} and {@code io.krgo.reference}; the facade asks it before any byte
 * of an image is written. Every refusal is an {@link io.krgo.error.PolicyException} (exit code 8); a wrong
 * passphrase of a signing key an {@link io.krgo.error.AuthException} (exit code 3).
 */
package io.krgo.trust;
