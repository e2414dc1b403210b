package io.krgo.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A certificate authority made by {@code openssl} in a test directory, issuing server certificates (for
 * names and IP addresses, valid or expired) and client certificates (RSA or EC, keys in PKCS#1, SEC1 or
 * PKCS#8 PEM).
 */
public final class TestPki {
    /** A certificate and its private key, as files. */
    public record Pair(Path cert, Path key) {
    }

    public enum KeyKind {
        /** RSA, {@code BEGIN RSA PRIVATE KEY}. */
        RSA_PKCS1,
        /** RSA, {@code BEGIN PRIVATE KEY}. */
        RSA_PKCS8,
        /** EC P-256, {@code BEGIN EC PRIVATE KEY}. */
        EC_SEC1,
        /** EC P-256, {@code BEGIN PRIVATE KEY}. */
        EC_PKCS8
    }

    private final Path dir;
    private final String name;
    private final Pair ca;
    private int serial;

    private TestPki(Path dir, String name, Pair ca) {
        this.dir = dir;
        this.name = name;
        this.ca = ca;
    }

    /** A new CA called {@code name} whose files live in {@code dir}. */
    public static TestPki create(Path dir, String name) {
        Tools.require("openssl", "openssl");
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Path key = dir.resolve(name + "-ca.key");
        Path cert = dir.resolve(name + "-ca.crt");
        Tools.run(List.of("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key.toString(),
                "-out", cert.toString(), "-days", "2", "-subj", "/CN=" + name + " test CA",
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"));
        return new TestPki(dir, name, new Pair(cert, key));
    }

    /** The CA certificate (PEM). */
    public Path caCert() {
        return ca.cert();
    }

    /**
     * A server certificate for {@code names} (DNS names, or IP addresses) valid for {@code days} days from now;
     * a negative number gives one that has already expired.
     */
    public Pair server(List<String> names, int days) {
        List<String> san = new ArrayList<>();
        for (String n : names) {
            san.add((n.matches("[0-9.]+") || n.contains(":") ? "IP:" : "DNS:") + n);
        }
        return issue("server-" + names.get(0), KeyKind.RSA_PKCS8, days, "subjectAltName=" + String.join(",", san)
                + "\nextendedKeyUsage=serverAuth\n");
    }

    /** A client certificate for {@code cn} with a key of {@code kind}. */
    public Pair client(String cn, KeyKind kind) {
        return issue("client-" + cn + "-" + kind, kind, 2, "extendedKeyUsage=clientAuth\n");
    }

    private Pair issue(String base, KeyKind kind, int days, String extensions) {
        String file = name + "-" + base.replaceAll("[^a-zA-Z0-9_.-]", "_") + "-" + (++serial);
        Path key = dir.resolve(file + ".key");
        Path csr = dir.resolve(file + ".csr");
        Path cert = dir.resolve(file + ".crt");
        Path ext = dir.resolve(file + ".ext");
        switch (kind) {
            case RSA_PKCS1 -> Tools.run(List.of("openssl", "genrsa", "-traditional", "-out", key.toString(), "2048"));
            case RSA_PKCS8 -> Tools.run(List.of("openssl", "genpkey", "-algorithm", "RSA",
                    "-pkeyopt", "rsa_keygen_bits:2048", "-out", key.toString()));
            case EC_SEC1 -> Tools.run(List.of("openssl", "ecparam", "-genkey", "-name", "prime256v1", "-noout",
                    "-out", key.toString()));
            case EC_PKCS8 -> Tools.run(List.of("openssl", "genpkey", "-algorithm", "EC",
                    "-pkeyopt", "ec_paramgen_curve:P-256", "-out", key.toString()));
        }
        try {
            Files.writeString(ext, extensions);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Tools.run(List.of("openssl", "req", "-new", "-key", key.toString(), "-out", csr.toString(),
                "-subj", "/CN=" + base));
        Tools.run(List.of("openssl", "x509", "-req", "-in", csr.toString(), "-CA", ca.cert().toString(),
                "-CAkey", ca.key().toString(), "-set_serial", String.valueOf(1000 + serial), "-days",
                String.valueOf(days), "-extfile", ext.toString(), "-out", cert.toString()));
        return new Pair(cert, key);
    }
}
