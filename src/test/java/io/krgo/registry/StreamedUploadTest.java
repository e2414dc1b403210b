package io.krgo.registry;

import io.krgo.Krgo;
import io.krgo.PushRequest;
import io.krgo.error.IntegrityException;
import io.krgo.error.RegistryException;
import io.krgo.image.Compression;
import io.krgo.image.Descriptor;
import io.krgo.image.Digest;
import io.krgo.image.MediaTypes;
import io.krgo.image.Platform;
import io.krgo.reference.Reference;
import io.krgo.store.BlobStore;
import io.krgo.testing.LoopbackProxy;
import io.krgo.testing.RegistryHarness;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Uploads whose bytes are written while they are produced (a layer compressed and pushed at once), against
 * a real registry (Basic auth): the blob arrives whole, a wrong digest or size is refused, and a push of a
 * directory whose streamed upload breaks still succeeds from the stored copy.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class StreamedUploadTest {
    private RegistryHarness registry;
    private Credentials creds;

    @TempDir
    Path tmp;

    @BeforeAll
    void start() {
        registry = RegistryHarness.start(RegistryHarness.Mode.BASIC);
        creds = Credentials.basic(registry.username(), registry.password());
    }

    @AfterAll
    void stop() {
        if (registry != null) {
            registry.close();
        }
    }

    private RegistryClient client(String host) {
        return new RegistryClient(host, RegistryOptions.defaults().withCredentials(creds), creds);
    }

    private static byte[] random(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** Writes {@code blob} in uneven pieces, as a compressor would. */
    private static void writeInPieces(BlobUpload up, byte[] blob) throws IOException {
        Random r = new Random(blob.length);
        for (int off = 0; off < blob.length; ) {
            int n = Math.min(blob.length - off, 1 + r.nextInt(700_000));
            up.write(blob, off, n);
            off += n;
        }
    }

    @Test
    void aStreamedBlobArrivesWholeUnderItsDigest() throws IOException {
        byte[] blob = random(20 * 1024 * 1024 + 17, 1); // more than the 8 MiB the upload queues
        Digest digest = Digest.sha256(blob);
        try (RegistryClient c = client(registry.host())) {
            BlobUpload up = c.startStreamedUpload("streamed/whole");
            writeInPieces(up, blob);
            assertThat(up.written()).isEqualTo(blob.length);
            up.complete(digest, blob.length);
            assertThat(c.blobExists("streamed/whole", digest)).isTrue();
            try (InputStream in = c.openBlob("streamed/whole", new Descriptor(MediaTypes.OCI_LAYER, digest, blob.length))) {
                assertThat(in.readAllBytes()).isEqualTo(blob);
            }
        }
    }

    @Test
    void aWrongDigestOrSizeIsRefused() throws IOException {
        byte[] blob = random(300_000, 2);
        try (RegistryClient c = client(registry.host())) {
            BlobUpload wrongDigest = c.startStreamedUpload("streamed/wrong");
            writeInPieces(wrongDigest, blob);
            Digest other = Digest.sha256("something else".getBytes());
            assertThatThrownBy(() -> wrongDigest.complete(other, blob.length)).isInstanceOf(IntegrityException.class);
            assertThat(c.blobExists("streamed/wrong", other)).isFalse();

            BlobUpload wrongSize = c.startStreamedUpload("streamed/wrong");
            writeInPieces(wrongSize, blob);
            assertThatThrownBy(() -> wrongSize.complete(Digest.sha256(blob), blob.length + 1))
                    .isInstanceOf(RegistryException.class).hasMessageContaining("incomplete");
            wrongSize.abort();
            assertThat(c.blobExists("streamed/wrong", Digest.sha256(blob))).isFalse();
        }
    }

    @Test
    void aRefusedStreamStopsTakingBytesAndCompleteFails() throws Exception {
        try (LoopbackProxy front = LoopbackProxy.start(registry.host(), (ex, self) -> {
            if (!ex.getRequestMethod().equals("PATCH")) {
                return false;
            }
            ex.sendResponseHeaders(500, -1); // without reading the body: the client's send breaks off
            return true;
        }); RegistryClient c = client(front.host())) {
            BlobUpload up = c.startStreamedUpload("streamed/refused");
            byte[] blob = random(64 * 1024 * 1024, 3);
            assertThatThrownBy(() -> writeInPieces(up, blob)).isInstanceOf(IOException.class)
                    .hasMessageContaining("streamed upload stopped");
            assertThatThrownBy(() -> up.complete(Digest.sha256(blob), blob.length)).isInstanceOf(RegistryException.class);
            up.abort();
        }
    }

    @Test
    void aRegistryThatStopsReadingIsGivenUpOnAfterTheReadTimeout() throws Exception {
        try (LoopbackProxy front = LoopbackProxy.start(registry.host(), (ex, self) -> {
            if (!ex.getRequestMethod().equals("PATCH")) {
                return false;
            }
            ex.getRequestBody().readNBytes(1024 * 1024);
            try {
                Thread.sleep(60_000); // reads nothing more, answers nothing
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return true;
        }); RegistryClient c = new RegistryClient(front.host(), RegistryOptions.defaults().withCredentials(creds)
                .withTimeouts(java.time.Duration.ofSeconds(5), java.time.Duration.ofSeconds(2)), creds)) {
            BlobUpload up = c.startStreamedUpload("streamed/stalled");
            byte[] blob = random(128 * 1024 * 1024, 4); // more than the queue and the socket buffers hold
            long start = System.nanoTime();
            assertThatThrownBy(() -> writeInPieces(up, blob)).isInstanceOf(IOException.class)
                    .hasMessageContaining("stalled");
            assertThatThrownBy(() -> up.complete(Digest.sha256(blob), blob.length)).isInstanceOf(RegistryException.class);
            assertThat(java.time.Duration.ofNanos(System.nanoTime() - start)).isLessThan(java.time.Duration.ofSeconds(20));
            up.abort();
        }
    }

    /** A directory of files: some random, some text. */
    private Path directory() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("dir"));
        Random r = new Random(9);
        for (int i = 0; i < 6; i++) {
            byte[] b = new byte[700_000];
            r.nextBytes(b);
            Files.write(dir.resolve("bin" + i), b);
            Files.writeString(dir.resolve("text" + i), java.util.Base64.getMimeEncoder().encodeToString(b));
        }
        Files.createDirectories(dir.resolve("sub/deeper"));
        Files.writeString(dir.resolve("sub/deeper/file"), "hello\n");
        return dir;
    }

    private ImagePusher.Result pushDirectory(String host, Path dir, String ref, Compression compression) {
        Krgo krgo = new Krgo(new BlobStore(tmp.resolve("store-" + compression)),
                new CredentialResolver(Map.of(), tmp.resolve("no-home")));
        return krgo.push(new PushRequest(Reference.parse(host + "/" + ref), dir, null,
                new Platform("linux", "amd64", null), compression, RegistryOptions.defaults().withCredentials(creds)
                        .withRetry(new RetryPolicy(3, java.time.Duration.ofMillis(10), java.time.Duration.ofSeconds(20)))),
                ImagePusher.Listener.NONE);
    }

    @Test
    void aDirectoryIsStreamedAndWhenTheStreamBreaksTheStoredCopyIsUploaded() throws IOException {
        Path dir = directory();
        for (Compression compression : new Compression[] {Compression.GZIP, Compression.ZSTD}) {
            String repo = "streamed/dir-" + compression.name().toLowerCase(java.util.Locale.ROOT);
            // undisturbed: the layer goes up in one streamed PATCH, never read back from the store
            try (LoopbackProxy front = LoopbackProxy.start(registry.host(), null)) {
                ImagePusher.Result r = pushDirectory(front.host(), dir, repo + ":ok", compression);
                assertThat(r.layerActions()).containsExactly(ImagePusher.BlobAction.UPLOADED);
                assertThat(front.requests("PATCH", "/blobs/uploads/")).hasSize(1);
                assertThat(front.requests("PUT", "digest=")).hasSize(2); // layer, config
            }
            // the streamed PATCH fails: the push uploads the stored copy and completes
            AtomicBoolean failed = new AtomicBoolean();
            try (LoopbackProxy front = LoopbackProxy.start(registry.host(), (ex, self) -> {
                // the only PATCH: the fallback sends the stored copy in one PUT
                if (!ex.getRequestMethod().equals("PATCH") || !failed.compareAndSet(false, true)) {
                    return false;
                }
                ex.getRequestBody().readAllBytes();
                ex.sendResponseHeaders(502, -1);
                return true;
            })) {
                ImagePusher.Result r = pushDirectory(front.host(), dir, repo + "-retried:latest",
                        compression);
                assertThat(failed).isTrue();
                assertThat(r.layerActions()).containsExactly(ImagePusher.BlobAction.UPLOADED);
                Descriptor layer;
                try (RegistryClient c = client(registry.host())) {
                    layer = c.getManifest(repo + "-retried", "latest").manifest().layers().get(0);
                    assertThat(c.blobExists(repo + "-retried", layer.parsedDigest())).isTrue();
                }
                // the same content as the undisturbed push: deterministic layer, uploaded whole
                try (RegistryClient c = client(registry.host())) {
                    assertThat(c.getManifest(repo, "ok").manifest().layers().get(0))
                            .isEqualTo(layer);
                }
            }
            // the connection breaks part-way through the streamed body: the stored copy goes up instead
            AtomicBoolean cut = new AtomicBoolean();
            try (LoopbackProxy front = LoopbackProxy.start(registry.host(), (ex, self) -> {
                if (!ex.getRequestMethod().equals("PATCH") || !cut.compareAndSet(false, true)) {
                    return false;
                }
                ex.getRequestBody().readNBytes(1024 * 1024);
                throw new IOException("connection cut on purpose mid-upload");
            })) {
                ImagePusher.Result r = pushDirectory(front.host(), dir, repo + "-cut:latest", compression);
                assertThat(cut).isTrue();
                assertThat(r.layerActions()).containsExactly(ImagePusher.BlobAction.UPLOADED);
                assertThat(front.requests("PUT", "digest=")).hasSize(2); // the stored layer in one PUT, the config
                try (RegistryClient c = client(registry.host())) {
                    Descriptor layer = c.getManifest(repo + "-cut", "latest").manifest().layers().get(0);
                    try (InputStream in = c.openBlob(repo + "-cut", layer)) {
                        assertThat(Digest.sha256(in.readAllBytes())).isEqualTo(layer.parsedDigest());
                    }
                }
            }
        }
    }
}
