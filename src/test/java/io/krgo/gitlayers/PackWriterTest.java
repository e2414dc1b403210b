package io.krgo.gitlayers;

import io.krgo.compress.FastAdler32;
import io.krgo.testing.Tools;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import java.util.zip.Adler32;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** krgo's streaming pack writer, checked by the git CLI (verify-pack, cat-file, fsck). */
class PackWriterTest {
    @TempDir
    Path tmp;

    private final Random random = new Random(42);

    private byte[] bytes(int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }

    /** Feeds {@code content} in uneven pieces, as the tee does. */
    private static ObjectId stream(PackWriter w, byte[] content, int piece) throws Exception {
        w.begin(Constants.OBJ_BLOB, content.length);
        for (int off = 0; off < content.length; off += piece) {
            w.content(content, off, Math.min(piece, content.length - off));
        }
        return w.lastId();
    }

    private static ObjectId gitId(byte[] content) {
        return new ObjectInserter.Formatter().idFor(Constants.OBJ_BLOB, content);
    }

    @Test
    void packsWithAndWithoutADeclaredCountAreValidGitPacksWithoutDuplicates() throws Exception {
        Tools.require("git", "git");
        Path repo = tmp.resolve("repo.git");
        Tools.run("git", "init", "-q", "--bare", repo.toString());
        Path packDir = repo.resolve("objects/pack");
        Set<ObjectId> known = ConcurrentHashMap.newKeySet();
        Map<ObjectId, byte[]> expected = new LinkedHashMap<>();

        // Declared: five objects; duplicates in between (one small, one spanning several 1 MiB writes) go back out.
        byte[] empty = new byte[0];
        byte[] small = bytes(100_000);
        byte[] big = bytes(3 * 1024 * 1024 + 17);
        byte[] block = bytes(65535);
        byte[] blockPlusOne = bytes(65536);
        PackWriter declared = new PackWriter(packDir, known, 5);
        for (byte[] c : List.of(empty, small, small, big, big, block, blockPlusOne)) {
            assertThat(declared.full()).isFalse();
            ObjectId id = stream(declared, c, 7_777);
            assertThat(id).isEqualTo(gitId(c));
            expected.put(id, c);
        }
        assertThat(declared.full()).isTrue();
        assertThat(declared.objectCount()).isEqualTo(5);
        Path first = declared.finish();

        // Undeclared: one new object, one already in the first pack, one repeated here, then trees' way in.
        PackWriter open = new PackWriter(packDir, known);
        byte[] more = bytes(2 * 1024 * 1024);
        for (byte[] c : List.of(more, small, more)) {
            expected.put(stream(open, c, 1 << 20), c);
        }
        byte[] tiny = "tiny".getBytes();
        expected.put(open.insert(Constants.OBJ_BLOB, tiny, 0, tiny.length), tiny);
        assertThat(open.objectCount()).isEqualTo(2);
        Path second = open.finish();

        assertThat(first).isNotEqualTo(second);
        try (Stream<Path> files = Files.list(packDir)) {
            assertThat(files.map(p -> p.getFileName().toString()).sorted().toList())
                    .as("only finished packs and their indexes").hasSize(4)
                    .allMatch(n -> n.matches("pack-[0-9a-f]{40}\\.(pack|idx)"));
        }
        for (Path pack : List.of(first, second)) {
            String idx = pack.toString().replace(".pack", ".idx");
            String verify = Tools.run("git", "verify-pack", "-v", idx);
            assertThat(verify).contains(pack.equals(first) ? "non delta: 5 objects" : "non delta: 2 objects");
        }
        for (Map.Entry<ObjectId, byte[]> e : expected.entrySet()) {
            byte[] got = Files.readAllBytes(catFile(repo, e.getKey()));
            assertThat(got).as("content of %s", e.getKey().name()).isEqualTo(e.getValue());
        }
        Tools.Result fsck = Tools.runAllowingFailure(List.of("git", "--git-dir=" + repo, "fsck", "--strict",
                "--no-dangling"), Map.of());
        assertThat(fsck.exitCode()).as(fsck.stderr()).isZero();
        assertThat(fsck.stdout() + fsck.stderr()).doesNotContain("error", "warning", "missing");
    }

    private Path catFile(Path repo, ObjectId id) throws Exception {
        Path out = Files.createTempFile(tmp, "blob", "");
        Process p = new ProcessBuilder("git", "--git-dir=" + repo, "cat-file", "blob", id.name())
                .redirectOutput(out.toFile()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        assertThat(p.waitFor()).isZero();
        return out;
    }

    @Test
    void largeBlobsAsLooseObjectsAreValidGitObjects() throws Exception {
        Tools.require("git", "git");
        Path repo = tmp.resolve("loose.git");
        Tools.run("git", "init", "-q", "--bare", repo.toString());
        Set<ObjectId> known = ConcurrentHashMap.newKeySet();
        LooseWriter w = new LooseWriter(repo, repo.resolve("objects"), known);
        List<byte[]> contents = List.of(bytes(65_536 - 11), bytes(3 * 1024 * 1024 + 1), bytes(1), new byte[0]);
        for (byte[] c : contents) {
            ObjectId id = null;
            w.begin(c.length);
            for (int off = 0; off < c.length || off == 0; off += 100_000) {
                id = w.content(c, off, Math.min(100_000, c.length - off));
                if (c.length == 0) {
                    break;
                }
            }
            assertThat(id).isEqualTo(gitId(c));
            assertThat(Files.readAllBytes(catFile(repo, id))).isEqualTo(c);
        }
        w.begin(contents.get(1).length);
        assertThat(w.content(contents.get(1), 0, contents.get(1).length)).as("again: not stored twice")
                .isEqualTo(gitId(contents.get(1)));
        try (Stream<Path> files = Files.walk(repo.resolve("objects"))) {
            assertThat(files.filter(Files::isRegularFile).count()).isEqualTo(4);
        }
        try (Stream<Path> files = Files.list(repo)) {
            assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith("tmp_"));
        }
        Tools.Result fsck = Tools.runAllowingFailure(List.of("git", "--git-dir=" + repo, "fsck", "--strict",
                "--no-dangling"), Map.of());
        assertThat(fsck.exitCode()).as(fsck.stderr()).isZero();
        assertThat(fsck.stdout() + fsck.stderr()).doesNotContain("error", "warning", "missing");
    }

    @Test
    void anEmptyPackLeavesNoFileAndADeclaredCountMustBeMet() throws Exception {
        Path packDir = tmp.resolve("pack");
        Set<ObjectId> known = ConcurrentHashMap.newKeySet();
        assertThat(new PackWriter(packDir, known).finish()).isNull();
        PackWriter declared = new PackWriter(packDir, known, 2);
        stream(declared, bytes(10), 3);
        assertThatThrownBy(declared::finish).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("declares 2 objects but holds 1");
        try (Stream<Path> files = Files.list(packDir)) {
            assertThat(files.toList()).as("temporary files removed").isEmpty();
        }
        PackWriter undeclared = new PackWriter(packDir, known, 3);
        stream(undeclared, bytes(10), 3);
        undeclared.undeclare();
        assertThat(undeclared.finish()).exists();
    }

    @Test
    void isaLAdler32AgreesWithTheJdk() {
        assertThat(FastAdler32.isNative()).as("ISA-L is installed: apt-get install -y libisal2").isTrue();
        byte[] data = bytes(300_000);
        ByteBuffer direct = ByteBuffer.allocateDirect(data.length).put(data).flip();
        List<int[]> pieces = new ArrayList<>(List.of(new int[] {0, 0}, new int[] {0, 1}, new int[] {5, 65_536},
                new int[] {1, 299_999}, new int[] {100, 5_553}));
        for (int[] p : pieces) {
            FastAdler32 fast = new FastAdler32();
            Adler32 jdk = new Adler32();
            // In two parts: the running value carries over.
            int half = p[1] / 2;
            fast.update(direct.slice(p[0], half));
            fast.update(direct.slice(p[0] + half, p[1] - half));
            jdk.update(data, p[0], p[1]);
            assertThat(fast.getValue()).as("offset %d length %d", p[0], p[1]).isEqualTo(jdk.getValue());
            fast.reset();
            assertThat(fast.getValue()).isEqualTo(1);
        }
    }
}
