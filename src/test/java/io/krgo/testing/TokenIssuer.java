package io.krgo.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A Docker token service for the test registry: checks Basic credentials (or an identity token POSTed as an OAuth2 refresh-token grant) and hands out RS256 JWTs
 * whose x5c header carries a self-signed certificate (made with openssl at start) that the registry
 * trusts via {@code rootcertbundle}. With valid credentials every requested action is granted;
 * anonymously only {@code pull} on repositories under {@code public/}; wrong credentials get 401.
 */
public final class TokenIssuer implements AutoCloseable {
    public static final String SERVICE = "krgo-test-registry";
    public static final String ISSUER = "krgo-test-issuer";
    /** The identity (refresh) token the issuer accepts in an OAuth2 {@code grant_type=refresh_token} POST. */
    public static final String REFRESH_TOKEN = "krgo-test-refresh-token";

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Base64.Encoder B64URL = Base64.getUrlEncoder().withoutPadding();

    private final HttpServer server;
    private final Path certificate;
    private final PrivateKey key;
    private final String certDerBase64;
    private final String username;
    private final String password;
    private final AtomicInteger requests = new AtomicInteger();
    private final AtomicInteger expiresIn = new AtomicInteger(300);

    private TokenIssuer(HttpServer server, Path certificate, PrivateKey key, String certDerBase64,
                        String username, String password) {
        this.server = server;
        this.certificate = certificate;
        this.key = key;
        this.certDerBase64 = certDerBase64;
        this.username = username;
        this.password = password;
    }

    static TokenIssuer start(Path dir, String username, String password) throws IOException {
        Tools.require("openssl", "openssl");
        Path keyFile = dir.resolve("token.key");
        Path certFile = dir.resolve("token.crt");
        Tools.run(List.of("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", keyFile.toString(),
                "-out", certFile.toString(), "-days", "2", "-subj", "/CN=krgo-test-token-issuer"));
        try {
            String pem = Files.readString(keyFile);
            byte[] der = Base64.getMimeDecoder().decode(pem.replaceAll("-----[A-Z ]+-----", "").trim());
            PrivateKey key = KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(der));
            X509Certificate cert;
            try (InputStream in = Files.newInputStream(certFile)) {
                cert = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
            }
            HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            TokenIssuer issuer = new TokenIssuer(server, certFile, key,
                    Base64.getEncoder().encodeToString(cert.getEncoded()), username, password);
            server.createContext("/token", issuer::handle);
            server.start();
            return issuer;
        } catch (java.security.GeneralSecurityException e) {
            throw new IOException("cannot load the token signing key: " + e.getMessage(), e);
        }
    }

    public String realm() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/token";
    }

    public Path certificate() {
        return certificate;
    }

    /** How many token requests were answered (any outcome). */
    public int requests() {
        return requests.get();
    }

    /** Lifetime of tokens issued from now on, in seconds. */
    public void setExpiresIn(int seconds) {
        expiresIn.set(seconds);
    }

    private void handle(HttpExchange ex) throws IOException {
        requests.incrementAndGet();
        try (ex) {
            String auth = ex.getRequestHeaders().getFirst("Authorization");
            boolean authenticated = false;
            String query = ex.getRequestURI().getRawQuery();
            if (ex.getRequestMethod().equals("POST")) {
                // OAuth2 refresh-token grant, as clients do with an identity token from config.json
                query = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
                if (!query.contains("grant_type=refresh_token") || !query.contains("refresh_token=" + REFRESH_TOKEN)) {
                    send(ex, 401, "{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"bad refresh token\"}]}");
                    return;
                }
                authenticated = true;
            } else if (auth != null) {
                String expected = "Basic " + Base64.getEncoder().encodeToString(
                        (username + ":" + password).getBytes(StandardCharsets.UTF_8));
                if (!auth.equals(expected)) {
                    send(ex, 401, "{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"bad credentials\"}]}");
                    return;
                }
                authenticated = true;
            }
            List<String> scopes = new ArrayList<>();
            String service = null;
            if (query != null) {
                for (String kv : query.split("&")) {
                    int eq = kv.indexOf('=');
                    String k = eq < 0 ? kv : kv.substring(0, eq);
                    String v = eq < 0 ? "" : URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8);
                    if (k.equals("scope")) {
                        scopes.addAll(List.of(v.split(" ")));
                    } else if (k.equals("service")) {
                        service = v;
                    }
                }
            }
            if (!SERVICE.equals(service)) {
                send(ex, 400, "{\"errors\":[{\"code\":\"BAD_REQUEST\",\"message\":\"unknown service\"}]}");
                return;
            }
            ArrayNode access = JSON.createArrayNode();
            for (String scope : scopes) {
                String[] parts = scope.split(":");
                if (parts.length != 3 || !parts[0].equals("repository")) {
                    continue;
                }
                ArrayNode actions = JSON.createArrayNode();
                for (String action : parts[2].split(",")) {
                    if (authenticated || (action.equals("pull") && parts[1].startsWith("public/"))) {
                        actions.add(action);
                    }
                }
                ObjectNode entry = access.addObject();
                entry.put("type", "repository");
                entry.put("name", parts[1]);
                entry.set("actions", actions);
            }
            String jwt = sign(authenticated ? username : "", access);
            ObjectNode body = JSON.createObjectNode();
            body.put("token", jwt);
            body.put("access_token", jwt);
            body.put("expires_in", expiresIn.get());
            body.put("issued_at", Instant.now().toString());
            send(ex, 200, JSON.writeValueAsString(body));
        } catch (RuntimeException e) {
            send(ex, 500, "{\"errors\":[{\"code\":\"INTERNAL\",\"message\":\"" + e.getClass().getSimpleName() + "\"}]}");
        }
    }

    private String sign(String subject, ArrayNode access) throws IOException {
        ObjectNode header = JSON.createObjectNode();
        header.put("typ", "JWT");
        header.put("alg", "RS256");
        header.putArray("x5c").add(certDerBase64);
        long now = Instant.now().getEpochSecond();
        ObjectNode claims = JSON.createObjectNode();
        claims.put("iss", ISSUER);
        claims.put("sub", subject);
        claims.put("aud", SERVICE);
        claims.put("exp", now + expiresIn.get());
        claims.put("nbf", now - 10);
        claims.put("iat", now);
        claims.put("jti", UUID.randomUUID().toString());
        claims.set("access", access);
        String signingInput = B64URL.encodeToString(JSON.writeValueAsBytes(header)) + "."
                + B64URL.encodeToString(JSON.writeValueAsBytes(claims));
        try {
            Signature s = Signature.getInstance("SHA256withRSA");
            s.initSign(key);
            s.update(signingInput.getBytes(StandardCharsets.US_ASCII));
            return signingInput + "." + B64URL.encodeToString(s.sign());
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException("cannot sign a token", e);
        }
    }

    private static void send(HttpExchange ex, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
