package io.krgo.runtime;

import io.krgo.testing.OciFixtures;
import io.krgo.testing.OciFixtures.PlatformImage;
import io.krgo.testing.RegistryHarness;
import io.krgo.testing.RootlessUser;
import io.krgo.testing.ServedImage;
import io.krgo.testing.Skopeo;
import io.krgo.testing.TarBuilder;
import io.krgo.testing.Tools;
import io.krgo.testing.Umoci;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The user namespace of a rootless {@code krgo run}, with real useradd users, newuidmap/newgidmap and runc:
 * all the user's subordinate ranges are mapped in file order, newuidmap's refusal is one line, and a user
 * namespace whose {@code user.max_user_namespaces} is 0 (the kernel's own limit, set in a namespace of the
 * test's making, not on the machine) gives the one line that names it.
 */
class RootlessNamespaceTest {
    @TempDir
    static Path work;
    @RegisterExtension
    static final ServedImage served = ServedImage.of("rootless/ranges:1", RootlessNamespaceTest::push)
            .requiring("runc", "runc").requiring("newuidmap", "uidmap").requiring("unshare", "util-linux");

    /** The busybox image with files owned by the first and last id of each of two 1000-id ranges. */
    private static void push(RegistryHarness registry, Path dir, String repoAndTag) {
        long t = TarBuilder.DEFAULT_MTIME;
        Path layer = new TarBuilder().dir("ranges", 0755, 0, 0, t)
                .file("ranges/first", new byte[] {1}, 0644, 1, 1, t)
                .file("ranges/second", new byte[] {2}, 0644, 1500, 1500, t)
                .file("ranges/last", new byte[] {3}, 0644, 2000, 2000, t)
                .writeTo(dir.resolve("ranges-layer.tar"));
        Path layout = BusyboxImage.layout(dir, "t");
        Umoci.run("raw", "add-layer", "--image", layout + ":t", "--tag", "ranges", layer.toString());
        Skopeo.copyTo(registry, "oci:" + layout + ":ranges", repoAndTag);
    }

    private static Path state(RootlessUser u) {
        return u.home().resolve(".local/state/krgo");
    }

    @Test
    void allSubordinateRangesAreMappedInFileOrder() throws IOException {
        try (RootlessUser user = RootlessUser.create()) {
            // two ranges of 1000 with a gap between them: container ids 1-1000, then 1001-2000
            long s1 = 700_000_000L + user.uid() * 4000L;
            long s2 = s1 + 2000;
            user.replaceSubordinateIds(new long[] {s1, 1000}, new long[] {s2, 1000});

            Tools.Result r = user.krgo("run", "--name", "second", "-u", "1500:1500", "--entrypoint", "/bin/sh",
                    served.image(), "-c", "id; ls -ln /ranges; touch /tmp/by-1500");
            assertThat(r.exitCode()).as(r.stderr()).isZero();
            assertThat(r.stdout()).contains("uid=1500 gid=1500");
            assertThat(r.stdout()).containsPattern("-rw-r--r-- +1 1 +1 +1 .* first")
                    .containsPattern("-rw-r--r-- +1 1500 +1500 +1 .* second")
                    .containsPattern("-rw-r--r-- +1 2000 +2000 +1 .* last");
            // on the host: the subordinate ids of the right range
            Path image = imageRootfs(user);
            assertOwner(image.resolve("ranges/first"), s1);
            assertOwner(image.resolve("ranges/second"), s2 + 499);
            assertOwner(image.resolve("ranges/last"), s2 + 999);
            assertOwner(state(user).resolve("containers/second/upper/tmp/by-1500"), s2 + 499);
            assertThat(user.krgo("rm", "second").exitCode()).isZero();

            // the image's own user (app, 1000, in group extra 2000) runs as before
            r = user.krgo("run", "--rm", served.image());
            assertThat(r.exitCode()).as(r.stderr()).isZero();
            assertThat(r.stdout()).contains("id:uid=1000(app) gid=1000(app)").contains("2000(extra)");

            // beyond all ranges: one line naming the id and both ranges
            r = user.krgo("run", "--rm", "-u", "2001", served.image());
            assertThat(r.exitCode()).isEqualTo(125);
            assertThat(r.stderr().strip().lines()).as(r.stderr()).hasSize(1);
            assertThat(r.stderr()).contains("uid 2001", "uids 0-2000", "1-1000: /etc/subuid " + s1 + "-" + (s1 + 999),
                    "1001-2000: /etc/subuid " + s2 + "-" + (s2 + 999));

            // an image that owns a file beyond all ranges cannot be unpacked: one line
            long t = TarBuilder.DEFAULT_MTIME;
            Path far = new TarBuilder().dir("data", 0755, 0, 0, t).file("data/f", new byte[] {1}, 0644, 2001, 2001, t)
                    .writeTo(work.resolve("far-owner.tar"));
            OciFixtures.pushImage(served.registry(), work, "rootless/far2:1", new PlatformImage("linux", "amd64",
                    List.of(far)));
            r = user.krgo("run", "--rm", served.registry().host() + "/rootless/far2:1", "true");
            assertThat(r.exitCode()).isEqualTo(125);
            assertThat(r.stderr().strip().lines()).as(r.stderr()).hasSize(1);
            assertThat(r.stderr()).contains("needs uid 2001 (owner of /data/f)",
                    "1001-2000: /etc/subuid " + s2 + "-" + (s2 + 999));

            assertThat(user.krgo("prune").exitCode()).isZero();
            try (Stream<Path> all = Files.walk(state(user))) {
                assertThat(all.filter(p -> !Files.isDirectory(p))).isEmpty();
            }
        }
    }

    @Test
    void newuidmapRefusingTheRangesIsOneLine() {
        try (RootlessUser user = RootlessUser.create()) {
            // a second range holding the user's own uid, which is mapped as 0 already: the kernel refuses the
            // overlap (two ranges: krgo's own newuidmap call, not unshare's)
            long s1 = 700_000_000L + user.uid() * 4000L;
            user.replaceSubordinateIds(new long[] {s1, 1000}, new long[] {user.uid(), 10});
            Tools.Result r = user.krgo("run", "--rm", served.image());
            assertThat(r.exitCode()).isEqualTo(125);
            assertThat(r.stderr().strip().lines()).as(r.stderr()).hasSize(1);
            assertThat(r.stderr()).contains("cannot map your subordinate ids", "newuidmap",
                    "1001-1010: /etc/subuid " + user.uid() + "-" + (user.uid() + 9));
            // nothing ran in a namespace without the maps: no container, no image (the refs/ lock may stay)
            try (Stream<Path> all = Files.exists(state(user)) ? Files.walk(state(user)) : Stream.empty()) {
                assertThat(all.filter(p -> !Files.isDirectory(p)).map(p -> state(user).relativize(p).toString()))
                        .allMatch(p -> p.startsWith("refs/") && p.endsWith(".lock"));
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
    }

    @Test
    void aNamespaceThatAllowsNoUserNamespacesIsNamed() throws Exception {
        String before = Files.readString(Path.of("/proc/sys/user/max_user_namespaces")).strip();
        try (RootlessUser user = RootlessUser.create()) {
            Tools.Result r = withoutUserNamespaces(user.as(user.krgoCommand("run", "--rm", served.image())));
            assertThat(r.exitCode()).as(r.stderr()).isEqualTo(125);
            assertThat(r.stderr().strip().lines()).as(r.stderr()).hasSize(1);
            assertThat(r.stderr()).contains("krgo: ", "unprivileged user namespaces are forbidden here",
                    "user.max_user_namespaces = 0", "No space left on device");
            // and nothing is left waiting (util-linux 2.38's unshare --map-users leaves its newuidmap helper
            // blocked forever when unshare() fails)
            assertThat(commandLinesOf(user.uid())).noneMatch(c -> c.startsWith("unshare"));
        }
        // the machine's own limit was never touched
        assertThat(Files.readString(Path.of("/proc/sys/user/max_user_namespaces")).strip()).isEqualTo(before)
                .isNotEqualTo("0");
    }

    /**
     * Runs {@code command} (as root, e.g. setpriv to a test user) in a new user namespace that maps every id
     * to itself and whose root set {@code user.max_user_namespaces} to 0 in it: the limit is per user
     * namespace and counts for the namespaces below, so nobody in it can make a user namespace, while the
     * machine and the tests running beside this one keep theirs.
     */
    private static Tools.Result withoutUserNamespaces(List<String> command) throws Exception {
        // the shell that waits for the maps has no capabilities (they are given at exec): the next one has
        List<String> cmd = new ArrayList<>(List.of("unshare", "--user", "--", "/bin/sh", "-c",
                "read -r go && [ \"$go\" = go ] && exec \"$@\"", "wait", "/bin/sh", "-c",
                "echo 0 > /proc/sys/user/max_user_namespaces && exec \"$@\"", "capped"));
        cmd.addAll(command);
        Path out = Files.createTempFile(work, "capped", ".out");
        Path err = Files.createTempFile(work, "capped", ".err");
        Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        String own = Files.readSymbolicLink(Path.of("/proc/self/ns/user")).toString();
        Path theirs = Path.of("/proc/" + p.pid() + "/ns/user");
        while (Files.readSymbolicLink(theirs).toString().equals(own)) {
            assertThat(p.isAlive()).as("unshare --user: " + Files.readString(err)).isTrue();
            Thread.sleep(1);
        }
        // root of the machine writes the maps: every id as itself
        Files.writeString(Path.of("/proc/" + p.pid() + "/uid_map"), "0 0 4294967295\n");
        Files.writeString(Path.of("/proc/" + p.pid() + "/gid_map"), "0 0 4294967295\n");
        try (OutputStream in = p.getOutputStream()) {
            in.write("go\n".getBytes(StandardCharsets.US_ASCII));
        }
        assertThat(p.waitFor(300, TimeUnit.SECONDS)).as("krgo finished").isTrue();
        return new Tools.Result(p.exitValue(), Files.readString(out), Files.readString(err));
    }

    /** The command lines of the processes of {@code uid} (the owner of /proc/PID is the process's uid). */
    private static List<String> commandLinesOf(int uid) throws IOException {
        List<String> out = new ArrayList<>();
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path p : (Iterable<Path>) procs.filter(d -> d.getFileName().toString().matches("[0-9]+"))::iterator) {
                try {
                    if (((Number) Files.getAttribute(p, "unix:uid")).intValue() == uid) {
                        out.add(new String(Files.readAllBytes(p.resolve("cmdline")), StandardCharsets.UTF_8)
                                .replace('\0', ' '));
                    }
                } catch (IOException gone) {
                    // exited meanwhile
                }
            }
        }
        return out;
    }

    private static Path imageRootfs(RootlessUser user) throws IOException {
        try (Stream<Path> images = Files.list(state(user).resolve("images"))) {
            return images.filter(p -> !p.getFileName().toString().startsWith(".")).findFirst().orElseThrow()
                    .resolve("rootfs");
        }
    }

    private static void assertOwner(Path p, long hostId) throws IOException {
        assertThat(((Number) Files.getAttribute(p, "unix:uid")).longValue()).as("uid of " + p).isEqualTo(hostId);
        assertThat(((Number) Files.getAttribute(p, "unix:gid")).longValue()).as("gid of " + p).isEqualTo(hostId);
    }
}
