package io.krgo.cli;

import java.io.OutputStream;
import java.io.PrintStream;

/**
 * Run once at build time under {@code -XX:ArchiveClassesAtExit}: loads the classes every krgo run needs
 * (picocli, the commands, Jackson) so the class-data-sharing archive covers them. Does no I/O beyond
 * printing help into a null stream.
 */
public final class CdsTraining {
    private CdsTraining() {
    }

    /**
     * One manifest GET through the real client against a throw-away loopback server: archives the JDK
     * HttpClient and krgo's transport classes, the bulk of a pull's start-up.
     */
    private static void exerciseRegistryClient() throws Exception {
        byte[] manifest = ("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
                + "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"sha256:"
                + "0".repeat(64) + "\",\"size\":2},\"layers\":[]}").getBytes(java.nio.charset.StandardCharsets.UTF_8);
        com.sun.net.httpserver.HttpServer server = com.sun.net.httpserver.HttpServer.create(
                new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", exchange -> {
            boolean isManifest = exchange.getRequestURI().getPath().contains("/manifests/");
            byte[] body = isManifest ? manifest : "{}".getBytes(java.nio.charset.StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", isManifest
                    ? "application/vnd.oci.image.manifest.v1+json" : "application/json");
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        try {
            io.krgo.reference.Reference ref = io.krgo.reference.Reference.parse(
                    "127.0.0.1:" + server.getAddress().getPort() + "/cds/training:1");
            try (io.krgo.registry.RegistryClient client = io.krgo.registry.RegistryClient.forReference(ref,
                    io.krgo.registry.RegistryOptions.defaults().withRetry(io.krgo.registry.RetryPolicy.NONE),
                    new io.krgo.registry.CredentialResolver(java.util.Map.of(), java.nio.file.Path.of("/nonexistent")))) {
                client.getManifest(ref.repository(), ref.tag()).manifest();
            }
        } finally {
            server.stop(0);
        }
    }

    public static void main(String[] args) {
        PrintStream realOut = System.out;
        PrintStream nowhere = new PrintStream(OutputStream.nullOutputStream());
        System.setOut(nowhere);
        System.setErr(nowhere);
        try {
            Main.run("--help");
            Main.run("--version");
            for (String cmd : new String[] {"pull", "push", "commit", "inspect", "copy", "export", "tags", "digest", "login"}) {
                Main.run(cmd, "--help");
            }
            Main.run("pull", "--no-such-flag");
            io.krgo.reference.Reference.parse("registry.example.com:5000/a/b:tag");
            io.krgo.image.Manifest.parse(("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
                    + "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"sha256:"
                    + "0".repeat(64) + "\",\"size\":2},\"layers\":[]}").getBytes(java.nio.charset.StandardCharsets.UTF_8),
                    null);
            exerciseRegistryClient();
            java.nio.file.Path work = java.nio.file.Files.createTempDirectory("krgo-cds-training");
            try {
                PipelineTraining.run(work);
            } finally {
                io.krgo.layer.Trees.deleteQuietly(work);
            }
        } catch (Exception e) {
            // Training only decides which classes are archived; a failure here must not fail the build.
        } finally {
            System.setOut(realOut);
        }
    }
}
