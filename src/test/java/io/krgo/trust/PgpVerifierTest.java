package io.krgo.trust;

import io.krgo.error.PolicyException;
import io.krgo.image.Digest;
import io.krgo.testing.Gpg;
import io.krgo.testing.Tools;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** OpenPGP verification of messages GnuPG signed: key kinds, expired and revoked keys, hostile input. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PgpVerifierTest {
    private static final byte[] PAYLOAD = new SimpleSigning(SimpleSigning.ATOMIC, "sha256:" + "c".repeat(64),
            "example.com/app:1", "test", 1L).toJson();
    private Path work;
    private Gpg gpg;

    @BeforeAll
    void start() throws Exception {
        work = Files.createTempDirectory("krgo-pgp");
        gpg = Gpg.start(work);
    }

    @AfterAll
    void stop() {
        gpg.close();
        Tools.deleteTree(work);
    }

    private PgpKeyring keyring(String fpr, boolean armor) {
        Path key = gpg.exportPublic(fpr, work.resolve(fpr + (armor ? ".asc" : ".gpg")), armor);
        return PgpKeyring.load(List.of(key), null, "test");
    }

    @Test
    void rsaEd25519AndEcdsaSignaturesVerify() {
        for (String algo : List.of("ed25519", "rsa3072", "nistp256")) {
            String fpr = gpg.generate(algo + "@krgo.test", algo, "never");
            byte[] sig = gpg.sign(fpr, PAYLOAD);
            PgpVerifier.Verified v = PgpVerifier.verify(sig, keyring(fpr, algo.equals("rsa3072")), Instant.now());
            assertThat(v.primaryFingerprint()).as(algo).isEqualTo(fpr);
            assertThat(SimpleSigning.parse(v.content(), SimpleSigning.ATOMIC).identity()).isEqualTo("example.com/app:1");
            byte[] armored = gpg.sign(fpr, PAYLOAD, "--armor");
            assertThat(PgpVerifier.verify(armored, keyring(fpr, false), Instant.now()).primaryFingerprint()).isEqualTo(fpr);
        }
    }

    @Test
    void expiredKeyIsRefused() {
        String fake = "--faked-system-time=20200101T000000!";
        String fpr = gpg.generate("expired@krgo.test", "ed25519", "1d", fake);
        byte[] sig = gpg.sign(fpr, PAYLOAD, fake);
        PgpKeyring keys = keyring(fpr, false);
        assertThat(PgpVerifier.verify(sig, keys, Instant.parse("2020-01-01T12:00:00Z")).primaryFingerprint())
                .isEqualTo(fpr); // valid while the key was
        assertThatThrownBy(() -> PgpVerifier.verify(sig, keys, Instant.now())).isInstanceOf(PolicyException.class)
                .hasMessage("signed by key " + fpr + ", which expired on 2020-01-02T00:00:00Z");
    }

    @Test
    void revokedKeyIsRefused() throws Exception {
        String fpr = gpg.generate("revoked@krgo.test", "ed25519", "never");
        byte[] sig = gpg.sign(fpr, PAYLOAD);
        assertThat(PgpVerifier.verify(sig, keyring(fpr, false), Instant.now()).primaryFingerprint()).isEqualTo(fpr);
        // gpg keeps a revocation certificate for every key it makes; its armor line is escaped with ':'
        Path cert = gpg.home().resolve("openpgp-revocs.d/" + fpr + ".rev");
        Path usable = work.resolve("revoke.asc");
        Files.writeString(usable, Files.readString(cert).replace(":-----BEGIN", "-----BEGIN"));
        gpg.run("--import", usable.toString());
        assertThatThrownBy(() -> PgpVerifier.verify(sig, keyring(fpr, false), Instant.now()))
                .hasMessage("signed by key " + fpr + ", which is revoked");
    }

    @Test
    void unknownKeyAndAlteredContentAreRefused() {
        String signer = gpg.generate("signer@krgo.test", "ed25519", "never");
        String other = gpg.generate("other@krgo.test", "ed25519", "never");
        byte[] sig = gpg.sign(signer, PAYLOAD, "--compress-algo", "none");
        assertThatThrownBy(() -> PgpVerifier.verify(sig, keyring(other, false), Instant.now()))
                .hasMessage("signed by key ID " + signer.substring(24) + ", which the policy does not trust");
        String text = new String(sig, StandardCharsets.ISO_8859_1);
        byte[] altered = text.replace("example.com/app:1", "example.com/app:2").getBytes(StandardCharsets.ISO_8859_1);
        assertThat(altered).isNotEqualTo(sig);
        assertThatThrownBy(() -> PgpVerifier.verify(altered, keyring(signer, false), Instant.now()))
                .hasMessageContaining("does not verify (content or signature altered)");
    }

    @Test
    void packetsThatAreNotASignedMessageAreRefused() {
        String fpr = gpg.generate("packets@krgo.test", "ed25519", "never");
        PgpKeyring keys = keyring(fpr, false);
        byte[] publicKeyPackets = gpg.run("--export", "--armor", fpr).getBytes(StandardCharsets.US_ASCII);
        assertThatThrownBy(() -> PgpVerifier.verify(publicKeyPackets, keys, Instant.now()))
                .isInstanceOf(PolicyException.class).hasMessageStartingWith("not an OpenPGP signed message");
        byte[] detached = gpg.sign(fpr, PAYLOAD, "--detach-sign");
        assertThatThrownBy(() -> PgpVerifier.verify(detached, keys, Instant.now()))
                .hasMessageStartingWith("not an OpenPGP signed message");
        for (byte[] junk : List.of(new byte[0], "{\"critical\":{}}".getBytes(StandardCharsets.UTF_8),
                new byte[] {(byte) 0xa3, 1, 2, 3}, new byte[] {(byte) 0x90, (byte) 0xff, (byte) 0xff, (byte) 0xff})) {
            assertThatThrownBy(() -> PgpVerifier.verify(junk, keys, Instant.now()))
                    .isInstanceOf(PolicyException.class).hasMessageContaining("OpenPGP");
        }
    }

    @Test
    void aCompressionBombIsCutShort() throws Exception {
        String fpr = gpg.generate("bomb@krgo.test", "ed25519", "never");
        Path zeros = work.resolve("zeros");
        try (RandomAccessFile f = new RandomAccessFile(zeros.toFile(), "rw")) {
            f.setLength(64L << 20);
        }
        Path sig = work.resolve("zeros.gpg");
        gpg.run("--local-user", fpr, "--compress-level", "9", "--output", sig.toString(), "--sign", zeros.toString());
        byte[] message = Files.readAllBytes(sig);
        assertThat(message.length).isLessThan(Lookaside.MAX_SIGNATURE_BYTES); // passes the file size limit
        assertThatThrownBy(() -> PgpVerifier.verify(message, keyring(fpr, false), Instant.now()))
                .hasMessage("signed content larger than 4 MiB: refused");
    }

    @Test
    void payloadIsReadParanoidly() {
        String dup = "{\"critical\": {\"type\": \"atomic container signature\", \"image\": {\"docker-manifest-digest\":"
                + " \"sha256:" + "a".repeat(64) + "\"}, \"identity\": {\"docker-reference\": \"x.com/a:1\"}},"
                + " \"critical\": {}, \"optional\": {}}";
        assertThatThrownBy(() -> SimpleSigning.parse(dup.getBytes(StandardCharsets.UTF_8), SimpleSigning.ATOMIC))
                .hasMessageContaining("Duplicate field 'critical'");
        String extra = new String(PAYLOAD, StandardCharsets.UTF_8).replace("\"critical\":{", "\"critical\":{\"x\":1,");
        assertThatThrownBy(() -> SimpleSigning.parse(extra.getBytes(StandardCharsets.UTF_8), SimpleSigning.ATOMIC))
                .hasMessage("invalid signature payload: unexpected field \"x\" in critical");
        assertThatThrownBy(() -> SimpleSigning.parse(PAYLOAD, SimpleSigning.COSIGN))
                .hasMessageContaining("critical.type is \"atomic container signature\"");
    }

    @Test
    void lookasideLimitsKeepMemoryBounded() throws Exception {
        Digest d = Digest.parse("sha256:" + "d".repeat(64));
        Path base = Files.createDirectories(work.resolve("look"));
        Path dir = Files.createDirectories(base.resolve("big/app@sha256=" + "d".repeat(64)));
        try (RandomAccessFile f = new RandomAccessFile(dir.resolve("signature-1").toFile(), "rw")) {
            f.setLength(50L << 20); // 50 MB, sparse: refused by its size, never read
        }
        assertThatThrownBy(() -> Lookaside.read(base.toUri(), "big/app", d)).isInstanceOf(PolicyException.class)
                .hasMessageEndingWith("big/app@sha256=" + "d".repeat(64) + "/signature-1 is larger than 4 MiB: refused");
        Path many = Files.createDirectories(base.resolve("many/app@sha256=" + "d".repeat(64)));
        for (int i = 1; i <= 130; i++) {
            Files.write(many.resolve("signature-" + i), new byte[] {1});
        }
        assertThatThrownBy(() -> Lookaside.read(base.toUri(), "many/app", d))
                .hasMessageStartingWith("more than 128 signatures at ");
        Files.delete(many.resolve("signature-129"));
        assertThat(Lookaside.read(base.toUri(), "many/app", d)).hasSize(128);
        Files.delete(many.resolve("signature-5"));
        assertThat(Lookaside.read(base.toUri(), "many/app", d)).hasSize(4); // counted until the first missing one
    }
}
