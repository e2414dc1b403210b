package io.krgo.trust;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.krgo.error.AuthException;
import io.krgo.error.UsageException;
import org.bouncycastle.crypto.generators.SCrypt;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.Set;

/**
 * cosign's encrypted private key file ({@code cosign generate-key-pair}): PEM of type
 * {@code ENCRYPTED SIGSTORE PRIVATE KEY} (or the older {@code ENCRYPTED COSIGN PRIVATE KEY}) whose body is
 * go-securesystemslib's {@code encrypted} JSON: {@code kdf} scrypt with {@code params} N, r, p and a
 * {@code salt}, {@code cipher} {@code nacl/secretbox} with a {@code nonce}, and the {@code ciphertext} (the
 * box over a PKCS#8 DER private key). As that library, only its three scrypt settings are accepted
 * (N = 2^15, 2^16, 2^17; r = 8; p = 1): a file cannot make krgo spend more than 128 MiB on the KDF.
 */
public final class CosignKeyFile {
    static final String SIGSTORE_PEM = "ENCRYPTED SIGSTORE PRIVATE KEY";
    static final String COSIGN_PEM = "ENCRYPTED COSIGN PRIVATE KEY";
    private static final Set<Integer> SCRYPT_N = Set.of(1 << 15, 1 << 16, 1 << 17);
    private static final int MAX_FILE_BYTES = 64 * 1024;
    private static final ObjectMapper JSON = new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    private CosignKeyFile() {
    }

    /** The PKCS#8 DER key inside the PEM text {@code pem}; {@code what} names the file in errors. */
    public static byte[] decrypt(byte[] pem, byte[] passphrase, String what) {
        if (pem.length > MAX_FILE_BYTES) {
            throw invalid(what, "larger than " + (MAX_FILE_BYTES >> 10) + " KiB");
        }
        JsonNode root = parseJson(pemBody(new String(pem, StandardCharsets.US_ASCII), what), what);
        JsonNode kdf = root.path("kdf");
        JsonNode params = kdf.path("params");
        if (!"scrypt".equals(kdf.path("name").asText())) {
            throw invalid(what, "key derivation \"" + kdf.path("name").asText() + "\" is not scrypt");
        }
        int n = params.path("N").asInt(-1);
        if (!SCRYPT_N.contains(n) || params.path("r").asInt(-1) != 8 || params.path("p").asInt(-1) != 1) {
            throw invalid(what, "unsupported scrypt parameters " + params);
        }
        if (!"nacl/secretbox".equals(root.path("cipher").path("name").asText())) {
            throw invalid(what, "cipher \"" + root.path("cipher").path("name").asText() + "\" is not nacl/secretbox");
        }
        byte[] salt = base64(kdf, "salt", what);
        byte[] nonce = base64(root.path("cipher"), "nonce", what);
        byte[] box = base64(root, "ciphertext", what);
        if (nonce.length != SecretBox.NONCE_BYTES) {
            throw invalid(what, "the nonce is " + nonce.length + " bytes, not " + SecretBox.NONCE_BYTES);
        }
        byte[] key = SCrypt.generate(passphrase, salt, n, 8, 1, SecretBox.KEY_BYTES);
        try {
            return SecretBox.open(box, nonce, key).orElseThrow(() -> new AuthException(what
                    + ": cannot decrypt the private key: wrong passphrase (see --sign-passphrase-file) or a damaged file"));
        } finally {
            Arrays.fill(key, (byte) 0);
        }
    }

    /**
     * Encrypts {@code pkcs8} as cosign does (scrypt N = 2^16, a 32-byte salt), as PEM of type
     * {@code ENCRYPTED SIGSTORE PRIVATE KEY}.
     */
    public static String encrypt(byte[] pkcs8, byte[] passphrase, SecureRandom random) {
        byte[] salt = new byte[32];
        byte[] nonce = new byte[SecretBox.NONCE_BYTES];
        random.nextBytes(salt);
        random.nextBytes(nonce);
        int n = 1 << 16;
        byte[] key = SCrypt.generate(passphrase, salt, n, 8, 1, SecretBox.KEY_BYTES);
        ObjectNode root = JSON.createObjectNode();
        ObjectNode kdf = root.putObject("kdf");
        kdf.put("name", "scrypt");
        kdf.putObject("params").put("N", n).put("r", 8).put("p", 1);
        kdf.put("salt", Base64.getEncoder().encodeToString(salt));
        root.putObject("cipher").put("name", "nacl/secretbox").put("nonce", Base64.getEncoder().encodeToString(nonce));
        root.put("ciphertext", Base64.getEncoder().encodeToString(SecretBox.seal(pkcs8, nonce, key)));
        Arrays.fill(key, (byte) 0);
        String body = Base64.getMimeEncoder(64, new byte[]{'\n'}).encodeToString(root.toString()
                .getBytes(StandardCharsets.UTF_8));
        return "-----BEGIN " + SIGSTORE_PEM + "-----\n" + body + "\n-----END " + SIGSTORE_PEM + "-----\n";
    }

    /** The decoded body of the first PEM block, which must be one of cosign's two encrypted types. */
    private static byte[] pemBody(String text, String what) {
        int begin = text.indexOf("-----BEGIN ");
        int typeEnd = begin < 0 ? -1 : text.indexOf("-----", begin + 11);
        if (typeEnd < 0) {
            throw invalid(what, "no PEM block");
        }
        String type = text.substring(begin + 11, typeEnd);
        if (!type.equals(SIGSTORE_PEM) && !type.equals(COSIGN_PEM)) {
            throw invalid(what, "a PEM \"" + type + "\", not \"" + SIGSTORE_PEM + "\" (cosign generate-key-pair)");
        }
        int end = text.indexOf("-----END " + type + "-----", typeEnd);
        if (end < 0) {
            throw invalid(what, "the PEM block has no END line");
        }
        try {
            return Base64.getMimeDecoder().decode(text.substring(typeEnd + 5, end).strip());
        } catch (IllegalArgumentException e) {
            throw invalid(what, "the PEM body is not base64");
        }
    }

    private static JsonNode parseJson(byte[] body, String what) {
        try {
            JsonNode root = JSON.readTree(body);
            if (root == null || !root.isObject()) {
                throw invalid(what, "the PEM body is not a JSON object");
            }
            return root;
        } catch (IOException e) {
            throw invalid(what, "the PEM body is not cosign's encrypted key JSON");
        }
    }

    private static byte[] base64(JsonNode node, String field, String what) {
        JsonNode v = node.path(field);
        if (!v.isTextual()) {
            throw invalid(what, "no \"" + field + "\"");
        }
        try {
            return Base64.getDecoder().decode(v.asText());
        } catch (IllegalArgumentException e) {
            throw invalid(what, "\"" + field + "\" is not base64");
        }
    }

    private static UsageException invalid(String what, String why) {
        return new UsageException(what + ": not a cosign private key: " + why);
    }
}
