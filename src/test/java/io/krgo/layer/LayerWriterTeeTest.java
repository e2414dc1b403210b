package io.krgo.layer;

import io.krgo.image.Compression;
import io.krgo.image.Digest;
import io.krgo.store.BlobStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** The tee of a layer write gets exactly the stored blob's bytes; a tee that fails does not harm the layer. */
class LayerWriterTeeTest {
    @TempDir
    Path tmp;

    private List<LayerChange> tree(Path root) throws IOException {
        Random r = new Random(3);
        byte[] b = new byte[3_000_000];
        r.nextBytes(b);
        Files.write(root.resolve("random.bin"), b);
        Files.writeString(root.resolve("text.txt"), java.util.Base64.getMimeEncoder().encodeToString(b));
        Files.writeString(root.resolve("small"), "small\n");
        return List.of(new LayerChange.Add("random.bin"), new LayerChange.Add("text.txt"), new LayerChange.Add("small"));
    }

    @Test
    void theTeeGetsTheStoredBytesAndAFailingTeeChangesNothing() throws IOException {
        Path root = Files.createDirectories(tmp.resolve("root"));
        List<LayerChange> changes = tree(root);
        BlobStore store = new BlobStore(tmp.resolve("store"));
        for (Compression c : new Compression[] {Compression.GZIP, Compression.ZSTD, Compression.NONE}) {
            LayerWriter.Options options = new LayerWriter.Options(c, c == Compression.ZSTD ? 3 : 1, 2);
            LayerBlob plain = new LayerWriter(store, new XattrReader()).write(root, changes, options);

            ByteArrayOutputStream copy = new ByteArrayOutputStream();
            LayerBlob teed = new LayerWriter(store, new XattrReader()).write(root, changes, options, copy);
            assertThat(teed).isEqualTo(plain);
            assertThat(copy.size()).isEqualTo(plain.size());
            assertThat(Digest.sha256(copy.toByteArray())).isEqualTo(plain.digest());

            long[] seen = new long[1];
            OutputStream breaking = new OutputStream() {
                @Override
                public void write(int b) throws IOException {
                    write(new byte[] {(byte) b}, 0, 1);
                }

                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    if (seen[0] > 0) {
                        throw new IOException("the network went away");
                    }
                    seen[0] += len;
                }
            };
            LayerBlob broken = new LayerWriter(store, new XattrReader()).write(root, changes, options, breaking);
            assertThat(broken).as("%s layer with a failing tee", c).isEqualTo(plain);
            assertThat(seen[0]).isPositive().isLessThan(plain.size());
            assertThat(Digest.sha256(Files.readAllBytes(store.path(plain.digest())))).isEqualTo(plain.digest());
        }
    }
}
