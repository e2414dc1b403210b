package io.krgo.trust;

import io.krgo.error.AuthException;
import io.krgo.error.UsageException;
import io.krgo.testing.CosignKeys;
import io.krgo.testing.Tools;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * cosign's encrypted key files against an independent implementation: Debian's python3-nacl (secretbox) and
 * hashlib.scrypt encrypt keys that krgo must open, decrypt the files krgo writes, and python3-cryptography
 * checks the signatures krgo makes with the keys.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CosignKeyFileTest {
    private static final byte[] PASS = "correct horse".getBytes(StandardCharsets.UTF_8);
    private Path work;
    private CosignKeys keys;

    @BeforeAll
    void start() throws Exception {
        work = Files.createTempDirectory("krgo-cosign-keys");
        keys = CosignKeys.in(work);
    }

    @AfterAll
    void stop() {
        Tools.deleteTree(work);
    }

    /** A key pair made by Python, its private key encrypted by Python as cosign does, with {@code pemType}. */
    private Path pythonKey(String kind, String pemType) {
        Path pem = work.resolve(kind + ".pem");
        keys.run("gen", kind, pem.toString(), work.resolve(kind + ".pub").toString());
        Path encrypted = work.resolve(kind + ".key");
        keys.run("encrypt", pem.toString(), new String(PASS, StandardCharsets.UTF_8), encrypted.toString(), pemType);
        return encrypted;
    }

    @Test
    void keysPythonEncryptedSignWhatPythonVerifies() throws Exception {
        byte[] payload = "{\"critical\":{},\"optional\":null}".getBytes(StandardCharsets.UTF_8);
        Path payloadFile = Files.write(work.resolve("payload"), payload);
        for (String[] k : List.of(new String[]{"ec", CosignKeyFile.SIGSTORE_PEM},
                new String[]{"rsa", CosignKeyFile.COSIGN_PEM}, new String[]{"ed25519", CosignKeyFile.SIGSTORE_PEM})) {
            Path key = pythonKey(k[0], k[1]);
            CosignSigner signer = CosignSigner.fromFile(key, PASS);
            String signature = Base64.getEncoder().encodeToString(signer.sign(payload));
            assertThat(keys.run("verify", work.resolve(k[0] + ".pub").toString(), payloadFile.toString(), signature))
                    .as(k[0]).isEqualTo("ok\n");
            // and krgo's verifier names the same key
            CosignVerifier verifier = CosignVerifier.load(List.of(work.resolve(k[0] + ".pub")), null, "test");
            assertThat(verifier.verify(payload, Base64.getDecoder().decode(signature))).isEqualTo(signer.keyName());
            // a signature over other bytes is refused by Python
            Path other = Files.write(work.resolve("other"), "x".getBytes(StandardCharsets.UTF_8));
            assertThat(keys.runAllowingFailure("verify", work.resolve(k[0] + ".pub").toString(), other.toString(),
                    signature).exitCode()).isNotZero();
        }
    }

    @Test
    void pythonOpensWhatKrgoEncrypts() throws Exception {
        Path pem = work.resolve("mine.pem");
        keys.run("gen", "ec", pem.toString(), work.resolve("mine.pub").toString());
        byte[] pkcs8 = Base64.getMimeDecoder().decode(Files.readString(pem).replaceAll("-----[A-Z ]+-----", "").strip());
        Path encrypted = Files.writeString(work.resolve("mine.key"),
                CosignKeyFile.encrypt(pkcs8, PASS, new SecureRandom()));
        assertThat(Files.readString(encrypted)).startsWith("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n");
        Path back = work.resolve("mine-back.pem");
        keys.run("decrypt", encrypted.toString(), new String(PASS, StandardCharsets.UTF_8), back.toString());
        assertThat(Files.readString(back)).isEqualTo(Files.readString(pem));
        assertThat(keys.runAllowingFailure("decrypt", encrypted.toString(), "wrong",
                work.resolve("never.pem").toString()).stderr()).contains("CryptoError");
    }

    @Test
    void wrongPassphraseAndDamageAreClearErrors() throws Exception {
        Path key = pythonKey("ec", CosignKeyFile.SIGSTORE_PEM);
        assertThatThrownBy(() -> CosignSigner.fromFile(key, "nope".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(AuthException.class)
                .hasMessage("--sign-by-sigstore-private-key " + key + ": cannot decrypt the private key: wrong"
                        + " passphrase (see --sign-passphrase-file) or a damaged file");
        String json = new String(body(key), StandardCharsets.UTF_8);
        String ciphertext = json.replaceAll(".*\"ciphertext\": \"([^\"]+)\".*", "$1");
        byte[] box = Base64.getDecoder().decode(ciphertext);
        box[box.length - 1] ^= 1;
        Path altered = write("altered.key", json.replace(ciphertext, Base64.getEncoder().encodeToString(box)));
        assertThatThrownBy(() -> CosignSigner.fromFile(altered, PASS)).isInstanceOf(AuthException.class);
        // a costlier KDF than cosign's settings is refused before any work is done
        Path costly = write("costly.key", json.replace("\"N\": 65536", "\"N\": 1048576"));
        assertThatThrownBy(() -> CosignSigner.fromFile(costly, PASS)).isInstanceOf(UsageException.class)
                .hasMessageContaining("not a cosign private key: unsupported scrypt parameters {\"N\":1048576");
        Path box2 = write("cipher.key", json.replace("nacl/secretbox", "aes"));
        assertThatThrownBy(() -> CosignSigner.fromFile(box2, PASS))
                .hasMessageContaining("cipher \"aes\" is not nacl/secretbox");
        Path plain = Files.writeString(work.resolve("plain.key"), Files.readString(work.resolve("ec.pem")));
        assertThatThrownBy(() -> CosignSigner.fromFile(plain, PASS)).isInstanceOf(UsageException.class)
                .hasMessageContaining("a PEM \"PRIVATE KEY\", not \"ENCRYPTED SIGSTORE PRIVATE KEY\"");
    }

    private static byte[] body(Path pemFile) throws Exception {
        String text = Files.readString(pemFile);
        return Base64.getMimeDecoder().decode(text.replaceAll("-----[A-Z ]+-----", "").strip());
    }

    private Path write(String name, String json) throws Exception {
        String b64 = Base64.getMimeEncoder().encodeToString(json.getBytes(StandardCharsets.UTF_8));
        return Files.writeString(work.resolve(name), "-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n" + b64
                + "\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n");
    }
}
