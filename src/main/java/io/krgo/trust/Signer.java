package io.krgo.trust;

/** Makes an OpenPGP signed message of a simple-signing payload (what a lookaside signature file holds). */
public sealed interface Signer permits GpgSigner, PgpSigner {
    /** The signed message of {@code payload}. */
    byte[] sign(byte[] payload);

    /** The signing key's fingerprint (upper-case hex), or what the user named it by. */
    String keyName();
}
