package io.krgo.tar;

import io.krgo.testing.Tools;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Sparse files as GNU tar writes them in every sparse format it has (old GNU 'S' with extension blocks,
 * PAX 0.0, 0.1 and 1.0), a 9 GiB one among them, and a PAX 1.0 one made by hand: the map, the real size
 * and the data read() delivers, against the file's own data and Python's tarfile.
 */
class TarReaderSparseTest {
    private static final long GIB = 1L << 30;

    @TempDir
    Path tmp;

    /** A file of {@code size} bytes holding only the given 4 KiB-aligned blocks of data, each a distinct byte. */
    private Path sparseFile(String name, long size, long[][] blocks) throws IOException {
        Path src = tmp.resolve("src");
        Files.createDirectories(src);
        Path f = src.resolve(name);
        Tools.run("truncate", "-s", Long.toString(size), f.toString());
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            for (int i = 0; i < blocks.length; i++) {
                byte[] data = new byte[(int) blocks[i][1]];
                Arrays.fill(data, (byte) ('A' + i % 26));
                raf.seek(blocks[i][0]);
                raf.write(data);
            }
        }
        return f;
    }

    private Path gnuTar(Path file, String... options) {
        Tools.require("tar", "tar");
        Path out = tmp.resolve("out-" + String.join("", options).replaceAll("[^a-z0-9.]", "") + ".tar");
        List<String> cmd = new ArrayList<>(List.of("tar"));
        cmd.addAll(List.of(options));
        cmd.addAll(List.of("-cf", out.toString(), "-C", file.getParent().toString(), file.getFileName().toString()));
        Tools.run(cmd);
        return out;
    }

    private static String expectedData(long[][] blocks) {
        var md = TarTestSupport.sha256();
        for (int i = 0; i < blocks.length; i++) {
            byte[] data = new byte[(int) blocks[i][1]];
            Arrays.fill(data, (byte) ('A' + i % 26));
            md.update(data);
        }
        return java.util.HexFormat.of().formatHex(md.digest());
    }

    private static List<TarEntry.SparseSegment> segments(long[][] blocks) {
        return Arrays.stream(blocks).map(b -> new TarEntry.SparseSegment(b[0], b[1])).toList();
    }

    @ParameterizedTest
    @ValueSource(strings = {"--format=gnu", "--format=posix --sparse-version=0.0", "--format=posix --sparse-version=0.1",
            "--format=posix --sparse-version=1.0"})
    void nineGibFile(String options) throws IOException {
        long[][] blocks = {{4096, 4096}, {5 * GIB, 8192}};
        Path f = sparseFile("big", 9 * GIB, blocks);
        List<String> opts = new ArrayList<>(List.of(options.split(" ")));
        opts.add("--sparse");
        Path tar = gnuTar(f, opts.toArray(String[]::new));
        assertThat(Files.size(tar)).isLessThan(64 * 1024);
        List<TarTestSupport.Read> read = TarTestSupport.assertSameAsPython(tar);
        assertThat(read).hasSize(1);
        TarEntry e = read.get(0).entry();
        assertThat(e.nameUtf8()).isEqualTo("big");
        assertThat(e.kind()).isEqualTo(TarEntry.Kind.FILE);
        assertThat(e.isSparse()).isTrue();
        assertThat(e.realSize()).isEqualTo(9 * GIB);
        assertThat(e.sparse()).isEqualTo(segments(blocks));
        assertThat(e.size()).isEqualTo(4096 + 8192);
        assertThat(read.get(0).sha256()).isEqualTo(expectedData(blocks));
    }

    @ParameterizedTest
    @ValueSource(strings = {"--format=gnu", "--format=posix --sparse-version=0.0", "--format=posix --sparse-version=0.1",
            "--format=posix --sparse-version=1.0"})
    void mapsOverManyBlocks(String options) throws IOException {
        // 120 segments: old GNU needs 6 extension blocks, the 1.0 map 4 blocks of the data.
        long[][] blocks = new long[120][];
        for (int i = 0; i < blocks.length; i++) {
            blocks[i] = new long[] {i * 16384L + 8192, 4096};
        }
        Path f = sparseFile("many", 120 * 16384L + 100_000, blocks);
        List<String> opts = new ArrayList<>(List.of(options.split(" ")));
        opts.add("--sparse");
        List<TarTestSupport.Read> read = TarTestSupport.assertSameAsPython(gnuTar(f, opts.toArray(String[]::new)));
        TarEntry e = read.get(0).entry();
        assertThat(e.sparse()).isEqualTo(segments(blocks));
        assertThat(e.realSize()).isEqualTo(120 * 16384L + 100_000);
        assertThat(read.get(0).sha256()).isEqualTo(expectedData(blocks));
    }

    @Test
    void handMadePax10WithAFileAfterIt() throws IOException {
        Path tar = tmp.resolve("pax10.tar");
        TarTestSupport.python("""
                import tarfile, io, sys
                segs = [(0, 10), (1000, 600), (9 * 2**30, 0)]
                data = b''.join(bytes([65 + i]) * n for i, (o, n) in enumerate(segs))
                m = ('%d\\n' % len(segs) + ''.join('%d\\n%d\\n' % s for s in segs)).encode()
                m += b'\\0' * (-len(m) % 512)
                with tarfile.open(sys.argv[1], 'w', format=tarfile.PAX_FORMAT) as t:
                    ti = tarfile.TarInfo('./GNUSparseFile.0/real name')
                    ti.size = len(m) + len(data)
                    ti.pax_headers = {'GNU.sparse.major': '1', 'GNU.sparse.minor': '0',
                                      'GNU.sparse.name': 'dir/real name', 'GNU.sparse.realsize': str(9 * 2**30)}
                    t.addfile(ti, io.BytesIO(m + data))
                    after = tarfile.TarInfo('after')
                    after.size = 3
                    t.addfile(after, io.BytesIO(b'end'))
                """, tar.toString());
        List<TarTestSupport.Read> read = TarTestSupport.assertSameAsPython(tar);
        TarEntry e = read.get(0).entry();
        assertThat(e.nameUtf8()).isEqualTo("dir/real name");
        assertThat(e.sparse()).containsExactly(new TarEntry.SparseSegment(0, 10), new TarEntry.SparseSegment(1000, 600));
        assertThat(e.realSize()).isEqualTo(9 * GIB);
        assertThat(e.size()).isEqualTo(610);
        byte[] data = new byte[610];
        Arrays.fill(data, 0, 10, (byte) 'A');
        Arrays.fill(data, 10, 610, (byte) 'B');
        assertThat(read.get(0).sha256()).isEqualTo(TarTestSupport.sha256(data));
        assertThat(read.get(1).entry().nameUtf8()).isEqualTo("after");
        assertThat(read.get(1).sha256()).isEqualTo(TarTestSupport.sha256("end".getBytes()));
    }
}
