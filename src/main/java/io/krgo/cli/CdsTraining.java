package io.krgo.cli;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import java.util.zip.GZIPOutputStream;

/**
 * Run once at build time under {@code -XX:ArchiveClassesAtExit}: runs the commands users run most, through
 * {@link Main#run}, so the class-data-sharing archive holds the classes they load (picocli and the commands,
 * the JDK HttpClient, Jackson, krgo's transport, the pull pipeline). Against a throw-away loopback registry
 * serving a one-layer image: a cold pull, the re-pull that finds it up to date, a pull with git layers,
 * inspect, digest and tags; the help of every command. Everything it writes goes to a temporary directory
 * that it deletes; its output goes nowhere.
 */
public final class CdsTraining {
    private static final String REPO = "cds/training";
    private static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";

    private CdsTraining() {
    }

    /** A one-layer image as a registry serves it: manifest and blobs by digest. */
    private record TrainingImage(byte[] manifest, String manifestDigest, Map<String, byte[]> blobs) {
        static TrainingImage create() throws IOException {
            ByteArrayOutputStream tar = new ByteArrayOutputStream();
            try (TarArchiveOutputStream out = new TarArchiveOutputStream(tar)) {
                TarArchiveEntry dir = new TarArchiveEntry("etc/");
                dir.setMode(040755);
                out.putArchiveEntry(dir);
                out.closeArchiveEntry();
                byte[] hello = "krgo\n".getBytes(StandardCharsets.UTF_8);
                TarArchiveEntry file = new TarArchiveEntry("etc/hello");
                file.setMode(0100644);
                file.setSize(hello.length);
                out.putArchiveEntry(file);
                out.write(hello);
                out.closeArchiveEntry();
            }
            ByteArrayOutputStream gz = new ByteArrayOutputStream();
            try (GZIPOutputStream out = new GZIPOutputStream(gz)) {
                out.write(tar.toByteArray());
            }
            byte[] layer = gz.toByteArray();
            byte[] config = ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{},\"rootfs\":{\"type\":\"layers\","
                    + "\"diff_ids\":[\"" + sha256(tar.toByteArray()) + "\"]}}").getBytes(StandardCharsets.UTF_8);
            byte[] manifest = ("{\"schemaVersion\":2,\"mediaType\":\"" + OCI_MANIFEST + "\",\"config\":{\"mediaType\":"
                    + "\"application/vnd.oci.image.config.v1+json\",\"digest\":\"" + sha256(config) + "\",\"size\":"
                    + config.length + "},\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\","
                    + "\"digest\":\"" + sha256(layer) + "\",\"size\":" + layer.length + "}]}")
                    .getBytes(StandardCharsets.UTF_8);
            return new TrainingImage(manifest, sha256(manifest), Map.of(sha256(config), config, sha256(layer), layer));
        }

        void serve(HttpExchange exchange) throws IOException {
            String path = exchange.getRequestURI().getPath();
            boolean head = exchange.getRequestMethod().equals("HEAD");
            byte[] body;
            String type = "application/json";
            if (path.equals("/v2/")) {
                body = "{}".getBytes(StandardCharsets.UTF_8);
            } else if (path.startsWith("/v2/" + REPO + "/manifests/")) {
                body = manifest;
                type = OCI_MANIFEST;
                exchange.getResponseHeaders().add("Docker-Content-Digest", manifestDigest);
            } else if (path.startsWith("/v2/" + REPO + "/blobs/")) {
                body = blobs.get(path.substring(path.lastIndexOf('/') + 1));
                type = "application/octet-stream";
            } else if (path.equals("/v2/" + REPO + "/tags/list")) {
                body = ("{\"name\":\"" + REPO + "\",\"tags\":[\"1\"]}").getBytes(StandardCharsets.UTF_8);
            } else {
                body = null;
            }
            if (body == null) {
                exchange.sendResponseHeaders(404, -1);
                exchange.close();
                return;
            }
            exchange.getResponseHeaders().add("Content-Type", type);
            if (head) {
                exchange.getResponseHeaders().add("Content-Length", Integer.toString(body.length));
                exchange.sendResponseHeaders(200, -1);
            } else {
                exchange.sendResponseHeaders(200, body.length);
                exchange.getResponseBody().write(body);
            }
            exchange.close();
        }
    }

    private static String sha256(byte[] bytes) {
        try {
            return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The commands that talk to the registry, as users run them; each failure only means fewer classes. */
    private static void exerciseRegistryCommands(Path work) throws IOException {
        TrainingImage image = TrainingImage.create();
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", exchange -> {
            try {
                image.serve(exchange);
            } catch (IOException | RuntimeException e) {
                exchange.close();
            }
        });
        server.start();
        String previousCache = System.getProperty("krgo.cache");
        System.setProperty("krgo.cache", work.resolve("cache").toString());
        try {
            String ref = "127.0.0.1:" + server.getAddress().getPort() + "/" + REPO + ":1";
            String rootfs = work.resolve("rootfs").toString();
            Main.run("pull", ref, "-r", rootfs, "-q");
            Main.run("pull", ref, "-r", rootfs, "-q"); // up to date: the path a re-pull takes
            Main.run("pull", ref, "-r", rootfs, "--json");
            Main.run("pull", ref, "-r", work.resolve("git").toString(), "-g", "-q");
            Main.run("inspect", ref);
            Main.run("inspect", ref, "--json");
            Main.run("digest", ref);
            Main.run("tags", ref);
        } finally {
            if (previousCache == null) {
                System.clearProperty("krgo.cache");
            } else {
                System.setProperty("krgo.cache", previousCache);
            }
            server.stop(0);
        }
    }

    public static void main(String[] args) throws IOException {
        PrintStream realOut = System.out;
        PrintStream realErr = System.err;
        PrintStream nowhere = new PrintStream(OutputStream.nullOutputStream());
        System.setOut(nowhere);
        System.setErr(nowhere);
        Path work = Files.createTempDirectory("krgo-cds-training");
        try {
            Main.run("--help");
            Main.run("--version");
            Main.run("help"); // the whole command tree
            for (Main.Subcommand s : Main.SUBCOMMANDS) {
                Main.run(s.names().get(0), "--help");
            }
            Main.run("pull", "--no-such-flag");
            exerciseRegistryCommands(work);
        } catch (Exception e) {
            // Training only decides which classes are archived; a failure here must not fail the build.
        } finally {
            System.setOut(realOut);
            System.setErr(realErr);
            io.krgo.layer.Trees.deleteQuietly(work);
        }
    }
}
