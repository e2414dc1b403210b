package io.krgo.trust;

import io.krgo.error.PolicyException;
import io.krgo.error.RegistryException;
import io.krgo.error.UsageException;
import io.krgo.image.Digest;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A lookaside signature store (containers-signature-protocols): signature {@code N} of the image
 * {@code REPO} with manifest digest {@code ALG:HEX} is at {@code BASE/REPO@ALG=HEX/signature-N}, counted
 * from 1 until the first missing one. {@code file://} and {@code http(s)://} are read; only
 * {@code file://} is written. At most {@value #MAX_SIGNATURES} signatures of at most 4 MiB each are read
 * (containers/image's limits), so a hostile store costs bounded memory.
 */
public final class Lookaside {
    public static final int MAX_SIGNATURE_BYTES = 4 << 20;
    public static final int MAX_SIGNATURES = 128;

    private Lookaside() {
    }

    /** The URL of signature {@code n} (from 1). */
    static URI signatureUri(URI base, String repository, Digest digest, int n) {
        String path = (base.getPath() == null ? "" : base.getPath()).replaceAll("/+$", "");
        String rel = path + "/" + repository + "@" + digest.algorithm() + "=" + digest.hex() + "/signature-" + n;
        try {
            return new URI(base.getScheme(), base.getAuthority(), rel, null, null);
        } catch (java.net.URISyntaxException e) {
            throw new PolicyException("lookaside " + base + ": cannot form a signature URL: " + e.getMessage());
        }
    }

    /** Every signature stored for {@code repository} at {@code digest}, in order; empty when there is none. */
    public static List<byte[]> read(URI base, String repository, Digest digest) {
        List<byte[]> out = new ArrayList<>();
        for (int n = 1; ; n++) {
            URI uri = signatureUri(base, repository, digest, n);
            if (n > MAX_SIGNATURES) {
                if (readOne(uri) != null) {
                    throw new PolicyException("more than " + MAX_SIGNATURES + " signatures at "
                            + signatureUri(base, repository, digest, 1) + " and on: refusing to read more");
                }
                return out;
            }
            byte[] sig = readOne(uri);
            if (sig == null) {
                return out;
            }
            out.add(sig);
        }
    }

    /** One signature, or null when it does not exist. */
    private static byte[] readOne(URI uri) {
        String scheme = uri.getScheme() == null ? "" : uri.getScheme();
        switch (scheme) {
            case "file" -> {
                Path file = Path.of(uri);
                try {
                    if (Files.size(file) > MAX_SIGNATURE_BYTES) {
                        throw tooLarge(uri);
                    }
                    try (InputStream in = Files.newInputStream(file)) {
                        return bounded(in, uri);
                    }
                } catch (NoSuchFileException e) {
                    return null;
                } catch (IOException e) {
                    throw new PolicyException("cannot read signature " + uri + ": " + e.getMessage(), e);
                }
            }
            case "http", "https" -> {
                return readHttp(uri);
            }
            default -> throw new PolicyException("lookaside " + uri + ": unsupported scheme \"" + scheme
                    + "\" (file, http and https are)");
        }
    }

    private static byte[] readHttp(URI uri) {
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(30))
                .followRedirects(HttpClient.Redirect.NORMAL).build();
        HttpRequest request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(60)).GET().build();
        try {
            HttpResponse<InputStream> r = client.send(request, HttpResponse.BodyHandlers.ofInputStream());
            try (InputStream body = r.body()) {
                if (r.statusCode() == 404) {
                    return null;
                }
                if (r.statusCode() != 200) {
                    throw new RegistryException("signature " + uri + ": HTTP " + r.statusCode());
                }
                return bounded(body, uri);
            }
        } catch (IOException e) {
            throw new RegistryException("cannot fetch signature " + uri + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RegistryException("interrupted fetching signature " + uri, e);
        }
    }

    private static byte[] bounded(InputStream in, URI uri) throws IOException {
        byte[] bytes = in.readNBytes(MAX_SIGNATURE_BYTES + 1);
        if (bytes.length > MAX_SIGNATURE_BYTES) {
            throw tooLarge(uri);
        }
        return bytes;
    }

    private static PolicyException tooLarge(URI uri) {
        return new PolicyException("signature " + uri + " is larger than " + (MAX_SIGNATURE_BYTES >> 20)
                + " MiB: refused");
    }

    /**
     * Stores {@code signature} as the next free {@code signature-N} under a {@code file://} base and returns
     * its path. Written to a temporary name first and linked into place, so a reader never sees half of it
     * and two writers never take the same number.
     */
    public static Path append(URI base, String repository, Digest digest, byte[] signature) {
        if (!"file".equals(base.getScheme())) {
            throw new UsageException("cannot write signatures to " + base + ": only file:// lookaside-staging is"
                    + " supported for writing (upload the directory to the web server that serves it)");
        }
        Path dir = Path.of(signatureUri(base, repository, digest, 1)).getParent();
        try {
            Files.createDirectories(dir);
            Path tmp = Files.createTempFile(dir, ".signature-", ".tmp");
            try {
                Files.write(tmp, signature);
                for (int n = 1; n <= MAX_SIGNATURES; n++) {
                    Path target = dir.resolve("signature-" + n);
                    try {
                        Files.createLink(target, tmp);
                        return target;
                    } catch (java.nio.file.FileAlreadyExistsException taken) {
                        // the next number
                    }
                }
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new io.krgo.error.FilesystemException("cannot write signature into " + dir + ": " + e.getMessage(), e);
        }
        throw new PolicyException("already " + MAX_SIGNATURES + " signatures in " + dir + ": not adding another");
    }
}
