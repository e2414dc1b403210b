package io.krgo;

import io.krgo.error.FilesystemException;
import io.krgo.error.KrgoException;
import io.krgo.error.UsageException;
import io.krgo.image.Descriptor;
import io.krgo.image.Image;
import io.krgo.image.Platform;
import io.krgo.registry.CredentialResolver;
import io.krgo.rootfs.ProgressListener;
import io.krgo.rootfs.PullResult;
import io.krgo.runtime.UserNamespace;
import io.krgo.store.BlobStore;
import io.krgo.sys.NativeDigests;

import java.io.File;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A rootless {@code krgo run}'s unpack of an image inside the caller's user namespace, so the owners the image
 * gives (uid 1000) are real owners in the container (the host's subordinate id {@code start + 999}): this
 * process fetches the image (registry, credentials and content store as any pull) into an OCI layout in the
 * staging directory, then a child krgo started in the namespace, where it is root, runs
 * {@code krgo pull oci:LAYOUT} and chowns for real. A child, because a JVM cannot enter a user namespace
 * itself.
 */
public final class NamespacedUnpack {
    private static final Pattern UNMAPPED = Pattern.compile("(uid|gid) (\\d+) is not mapped in this user namespace"
            + " \\([^)]*\\) \\(owner of ([^)]*)\\)");

    private final Krgo krgo;
    private final UserNamespace userns;

    NamespacedUnpack(Krgo krgo, UserNamespace userns) {
        this.krgo = krgo;
        this.userns = userns;
    }

    /** Unpacks {@code request}'s image into {@code staging/rootfs}; returns the manifest digest's hex. */
    String unpack(RunRequest request, Path staging) throws IOException {
        userns.check();
        Path layout = staging.resolve("layout");
        Descriptor image = krgo.exportOci(request.image(), request.registry(), request.platform(), layout, "krgo");
        // This process checked the image against the user's trust policy (exportOci); the child unpacks the
        // local copy of what was checked, so it reads no policy (main below).
        List<String> child = new ArrayList<>(jvm());
        child.addAll(List.of(NamespacedUnpack.class.getName(), layout.toString(), staging.resolve("rootfs").toString(),
                request.platform().toString()));
        Path err = staging.resolve("unpack.err");
        Process p = new ProcessBuilder(userns.command(child, false)).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(err.toFile()).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .start();
        int exit;
        try {
            exit = p.waitFor();
        } catch (InterruptedException e) {
            p.destroy();
            Thread.currentThread().interrupt();
            throw new FilesystemException("interrupted while unpacking " + request.image(), e);
        }
        if (exit != 0) {
            throw failure(request, Files.readAllLines(err, StandardCharsets.UTF_8));
        }
        return image.digest().substring(image.digest().indexOf(':') + 1);
    }

    private RuntimeException failure(RunRequest request, List<String> stderr) {
        String last = "exit status without a message";
        for (String line : stderr) {
            if (line.startsWith("krgo: ") && !line.startsWith("krgo: warning:")) {
                last = line.substring("krgo: ".length());
            }
        }
        Matcher m = UNMAPPED.matcher(last);
        if (m.find()) {
            // the path in the pull's staging directory, as the image names it
            Matcher inImage = Pattern.compile("/\\.pull-[^/]*/(?:[^/]*/)?rootfs(/.*)$").matcher(m.group(3));
            String path = inImage.find() ? inImage.group(1) : m.group(3);
            return new UsageException("image " + request.image() + " needs " + m.group(1) + " " + m.group(2)
                    + " (owner of " + path + "), beyond the ids mapped for you: "
                    + userns.mapping().describe());
        }
        return new FilesystemException("cannot unpack " + request.image() + " in your user namespace: " + last);
    }

    /**
     * The child's entry point, as root in the user namespace: {@code LAYOUT ROOTFS PLATFORM} pulls the image
     * tagged {@code krgo} (for PLATFORM) in the OCI layout into ROOTFS through the user's content store. Failures and warnings are
     * lines {@code krgo: ...} on stderr (what {@link #failure} reads), the exit status 1 on failure.
     */
    public static void main(String[] args) {
        if (args.length != 3) {
            System.err.println("krgo: usage: NamespacedUnpack LAYOUT ROOTFS PLATFORM");
            System.exit(1);
        }
        NativeDigests.install();
        int status = 0;
        try (Krgo krgo = new Krgo(BlobStore.defaultStore(), CredentialResolver.fromSystem())) {
            Image image = krgo.ociImage(Path.of(args[0]), "krgo", Platform.parse(args[2]));
            PullResult result = krgo.pull(new ImagePullRequest(image, null, Path.of(args[1]), false, false),
                    ProgressListener.NONE);
            result.warnings().forEach(w -> System.err.println("krgo: warning: " + w));
        } catch (RuntimeException e) {
            System.err.println("krgo: " + (e instanceof KrgoException ? e.getMessage() : e.toString()));
            status = 1;
        }
        System.exit(status);
    }

    /** This JVM's command line up to the main class: the same java, options and class path. */
    private static List<String> jvm() {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            // agents (coverage, debuggers) would attach to the child too
            if (!a.startsWith("-javaagent") && !a.startsWith("-agentlib") && !a.startsWith("-agentpath")) {
                cmd.add(a);
            }
        }
        // As the namespace's root the JVM would take root's home from /etc/passwd.
        cmd.add("-Duser.home=" + System.getProperty("user.home"));
        List<String> cp = new ArrayList<>();
        for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
            cp.add(Path.of(e).toAbsolutePath().toString());
        }
        cmd.add("-cp");
        cmd.add(String.join(File.pathSeparator, cp));
        return cmd;
    }
}
