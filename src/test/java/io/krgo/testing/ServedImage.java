package io.krgo.testing;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * One test image served by a real anonymous registry ({@link RegistryHarness}) for a whole test class, with
 * the krgo home and state the class runs krgo with, both in a directory of its own: the class sees only its
 * own containers and unpacked images. A JUnit extension, so that a test class declares it in one statement, a
 * static field annotated {@code RegisterExtension}:
 * {@code static final ServedImage served = ServedImage.of("test/run:1", BusyboxImage::push).requiring(...);}
 * Before the class's tests (and its own {@code BeforeAll} methods) it checks the required tools, starts the
 * registry and pushes the image; after them it stops the registry and deletes the directory.
 */
public final class ServedImage implements BeforeAllCallback, AfterAllCallback {

    /** Builds an image in {@code work} and pushes it to {@code repoAndTag} (e.g. the runtime tests' busybox image). */
    @FunctionalInterface
    public interface Pusher {
        void push(RegistryHarness registry, Path work, String repoAndTag);
    }

    /** The started part: what exists between beforeAll and afterAll. */
    private record Served(Path dir, RegistryHarness registry) {
    }

    private final String repoAndTag;
    private final Pusher pusher;
    private final List<List<String>> required;
    private Served served;

    private ServedImage(String repoAndTag, Pusher pusher, List<List<String>> required) {
        this.repoAndTag = repoAndTag;
        this.pusher = pusher;
        this.required = required;
    }

    /** The image {@code pusher} makes, pushed as {@code repoAndTag}. */
    public static ServedImage of(String repoAndTag, Pusher pusher) {
        return new ServedImage(repoAndTag, pusher, List.of());
    }

    /** The same, failing first (with {@link Tools#require}) when {@code tool} is not installed. */
    public ServedImage requiring(String tool, String debianPackage) {
        List<List<String>> more = new ArrayList<>(required);
        more.add(List.of(tool, debianPackage));
        return new ServedImage(repoAndTag, pusher, List.copyOf(more));
    }

    @Override
    public void beforeAll(ExtensionContext context) throws IOException {
        required.forEach(r -> Tools.require(r.get(0), r.get(1)));
        Path dir = Files.createTempDirectory("krgo-served-");
        RegistryHarness registry = RegistryHarness.start(RegistryHarness.Mode.ANONYMOUS);
        try {
            pusher.push(registry, dir, repoAndTag);
        } catch (RuntimeException | Error e) {
            registry.close(); // afterAll is not called when beforeAll fails
            Tools.deleteTree(dir);
            throw e;
        }
        served = new Served(dir, registry);
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (served != null) {
            served.registry().close();
            Tools.deleteTree(served.dir());
            served = null;
        }
    }

    private Served served() {
        if (served == null) {
            throw new IllegalStateException("ServedImage is used outside its test class's run");
        }
        return served;
    }

    public RegistryHarness registry() {
        return served().registry();
    }

    /** The image's reference, {@code HOST:PORT/REPO:TAG}. */
    public String image() {
        return registry().host() + "/" + repoAndTag;
    }

    /** krgo's HOME ({@code user.home}); the content store is {@code home/cache}. */
    public Path home() {
        return served().dir().resolve("home");
    }

    /** krgo's state directory ({@code KRGO_STATE}): {@code images/}, {@code containers/}. */
    public Path state() {
        return served().dir().resolve("state");
    }

    /** The environment krgo runs with: {@code KRGO_STATE}. */
    public Map<String, String> env() {
        return Map.of("KRGO_STATE", state().toString());
    }

    /** {@code krgo args...} in a child JVM ({@link KrgoCli#run(Path, Map, String, String...)}), no standard input. */
    public KrgoCli.Result krgo(String... args) {
        return KrgoCli.run(home(), env(), null, args);
    }

    /** The same with {@code stdin} as standard input. */
    public KrgoCli.Result krgoWithStdin(String stdin, String... args) {
        return KrgoCli.run(home(), env(), stdin, args);
    }

    /** The command line of krgo in a new JVM with {@link #home()} as {@code user.home}. */
    public List<String> javaCommand(String... args) {
        List<String> command = KrgoCli.javaCommand(args);
        command.add(1, "-Duser.home=" + home());
        return command;
    }

    /** {@link #javaCommand} as one line for {@code sh}, each word quoted. */
    public String shellCommand(String... args) {
        StringBuilder b = new StringBuilder();
        for (String a : javaCommand(args)) {
            b.append(b.length() == 0 ? "" : " ").append('\'').append(a.replace("'", "'\\''")).append('\'');
        }
        return b.toString();
    }

    /**
     * Runs {@code shell} with {@code sh} under script(1), in a new pseudo-terminal, with this krgo home, state and
     * content store (the script is written into {@code dir}); returns what the terminal showed, without {@code \r}.
     */
    public Tools.Result underPty(Path dir, String shell) throws IOException {
        Path sh = dir.resolve("pty-" + System.nanoTime() + ".sh");
        Files.writeString(sh, shell);
        Tools.Result r = Tools.runAllowingFailure(List.of("script", "-qec", "sh " + sh, "/dev/null"),
                Map.of("KRGO_STATE", state().toString(), "KRGO_CACHE", home().resolve("cache").toString(),
                        "HOME", home().toString()));
        // script(1), whose standard input ends at once here, types the terminal's end-of-file character into
        // it, which the terminal echoes as ^@ wherever the output is at that moment (seen once in CI, between
        // two lines of the container's): not the container's output, so removed, as are the terminal's \r
        return new Tools.Result(r.exitCode(), r.stdout().replace("^@", "").replace("\r", ""), r.stderr());
    }

    /**
     * Starts {@code krgo args...} in the background, returning once {@code out} (its standard output) shows
     * "ready"; its standard error goes to {@code out}'s sibling {@code NAME.err}. Its environment is this
     * JVM's plus {@link #env()} and the content store, unlike {@link #krgo}'s cleaned one: a container started
     * from one environment must be seen by krgo commands run from another (as from a shell and from sudo).
     */
    public Process background(Path out, String... args) throws IOException, InterruptedException {
        Path err = out.resolveSibling(out.getFileName() + ".err");
        ProcessBuilder pb = new ProcessBuilder(javaCommand(args)).redirectOutput(out.toFile())
                .redirectError(ProcessBuilder.Redirect.appendTo(err.toFile()));
        pb.environment().putAll(env());
        pb.environment().put("KRGO_CACHE", home().resolve("cache").toString());
        Process p = pb.start();
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (!(Files.exists(out) && Files.readString(out).contains("ready"))) {
            assertThat(p.isAlive()).as(Files.readString(err)).isTrue();
            assertThat(System.nanoTime()).as("container ready within 120 s").isLessThan(end);
            Thread.sleep(50);
        }
        return p;
    }
}
