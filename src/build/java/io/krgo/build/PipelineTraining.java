package io.krgo.build;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.krgo.cli.Main;
import io.krgo.image.Digest;
import io.krgo.tar.TarWriter;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.zip.GZIPOutputStream;

/**
 * Part of the class-data-sharing training ({@link CdsTraining}): runs the real commands — pull, re-pull,
 * pull -g, commit, push (gzip and zstd), inspect — against a throw-away in-process registry holding a small
 * two-layer image, so the archive holds every class and lambda those paths load (a pull otherwise spends
 * ~0.3 s of CPU loading, linking and spinning them). Build-time only: this server speaks just enough of
 * the distribution API for krgo's own client and is never used by tests or at run time.
 */
final class PipelineTraining {
    private final Map<String, byte[]> blobs = new ConcurrentHashMap<>();
    private final Map<String, byte[]> manifests = new ConcurrentHashMap<>();
    private final Map<String, ByteArrayOutputStream> uploads = new ConcurrentHashMap<>();

    private PipelineTraining() {
    }

    /** Runs the commands in {@code work} (a fresh temporary directory); returns their exit codes in order. */
    static List<Integer> run(Path work) throws Exception {
        return new PipelineTraining().exercise(work);
    }

    private List<Integer> exercise(Path work) throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::handle);
        server.start();
        String previousCache = System.getProperty("krgo.cache");
        System.setProperty("krgo.cache", work.resolve("cache").toString());
        List<Integer> codes = new ArrayList<>();
        try {
            String host = "127.0.0.1:" + server.getAddress().getPort();
            String ref = host + "/training/image:1";
            publishImage("training/image", "1");
            Path plain = work.resolve("plain");
            Path git = work.resolve("git");
            codes.add(Main.run("pull", ref, "-r", plain.toString(), "-q"));
            codes.add(Main.run("pull", ref, "-r", plain.toString(), "-q")); // up to date
            codes.add(Main.run("pull", ref, "-r", plain.toString(), "--force", "-q"));
            codes.add(Main.run("pull", "-g", ref, "-r", git.toString(), "-q"));
            Files.writeString(git.resolve("etc/added.conf"), "added by training\n");
            Files.delete(git.resolve("usr/share/doc/f3.txt"));
            codes.add(Main.run("commit", "-r", git.toString(), "-m", "training", "-q"));
            codes.add(Main.run("push", host + "/training/pushed:1", "-r", git.toString(), "-q"));
            codes.add(Main.run("push", "--compression", "zstd", host + "/training/plain:1", "-r", plain.toString(), "-q"));
            codes.add(Main.run("inspect", ref));
            codes.add(Main.run("digest", ref));
            // What a hot `krgo run` does before the runtime starts (runc itself cannot run here): the OCI
            // config from the recorded image config, the user lookup, the seccomp conversion; and ps, prune.
            System.setProperty("krgo.state", work.resolve("state").toString());
            codes.add(Main.run("config", "-r", plain.toString(), "-o", work.resolve("config.json").toString(),
                    "-e", "A=1", "--", "/bin/true"));
            codes.add(Main.run("ps"));
            codes.add(Main.run("prune"));
        } finally {
            System.clearProperty("krgo.state");
            if (previousCache == null) {
                System.clearProperty("krgo.cache");
            } else {
                System.setProperty("krgo.cache", previousCache);
            }
            server.stop(0);
        }
        return codes;
    }

    // ---------------------------------------------------------------- the image

    private void publishImage(String repo, String tag) throws IOException {
        byte[] base = layer(true);
        byte[] upper = layer(false);
        byte[] baseGz = gzip(base);
        byte[] upperGz = gzip(upper);
        String config = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Env\":[\"PATH=/usr/bin\"]},"
                + "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" + Digest.sha256(base) + "\",\"" + Digest.sha256(upper) + "\"]},"
                + "\"history\":[{\"created_by\":\"training base\"},{\"created_by\":\"training upper\"}]}";
        byte[] configBytes = config.getBytes(StandardCharsets.UTF_8);
        blobs.put(Digest.sha256(configBytes).toString(), configBytes);
        blobs.put(Digest.sha256(baseGz).toString(), baseGz);
        blobs.put(Digest.sha256(upperGz).toString(), upperGz);
        String manifest = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
                + "\"config\":" + descriptor("application/vnd.oci.image.config.v1+json", configBytes) + ","
                + "\"layers\":[" + descriptor("application/vnd.oci.image.layer.v1.tar+gzip", baseGz) + ","
                + descriptor("application/vnd.oci.image.layer.v1.tar+gzip", upperGz) + "]}";
        byte[] m = manifest.getBytes(StandardCharsets.UTF_8);
        manifests.put(repo + ":" + tag, m);
        manifests.put(repo + ":" + Digest.sha256(m), m);
    }

    private static String descriptor(String mediaType, byte[] blob) {
        return "{\"mediaType\":\"" + mediaType + "\",\"digest\":\"" + Digest.sha256(blob) + "\",\"size\":" + blob.length + "}";
    }

    /** Every kind of entry a pull handles: dirs, files, symlinks, hardlinks, a fifo, whiteouts, an opaque dir. */
    private static byte[] layer(boolean base) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        long mtime = 1_700_000_000_123_456_789L;
        try (TarWriter tar = new TarWriter(out)) {
            if (base) {
                for (String d : new String[] {"etc/", "usr/", "usr/bin/", "usr/lib/", "usr/share/", "usr/share/doc/", "var/", "var/cache/"}) {
                    tar.writeHeader(header(d, TarWriter.DIR, 0755, 0, mtime, null));
                }
                tar.writeHeader(header("lib", TarWriter.SYMLINK, 0777, 0, mtime, "usr/lib"));
                for (int i = 0; i < 40; i++) {
                    file(tar, "usr/share/doc/f" + i + ".txt", "document " + i + "\n".repeat(i), mtime);
                }
                file(tar, "usr/bin/tool", "#!/bin/sh\necho tool\n", mtime);
                tar.writeHeader(header("usr/bin/tool-alias", TarWriter.LINK, 0755, 0, mtime, "usr/bin/tool"));
                file(tar, "var/cache/old", "old cache\n", mtime);
                tar.writeHeader(header("var/fifo", TarWriter.FIFO, 0644, 0, mtime, null));
            } else {
                tar.writeHeader(header("var/cache/", TarWriter.DIR, 0755, 0, mtime, null));
                tar.writeHeader(header("var/cache/.wh..wh..opq", TarWriter.REG, 0644, 0, mtime, null));
                file(tar, "var/cache/new", "new cache\n", mtime);
                tar.writeHeader(header("usr/share/doc/.wh.f1.txt", TarWriter.REG, 0644, 0, mtime, null));
                file(tar, "lib/libtraining.so", "not really a library\n", mtime); // through the lib -> usr/lib symlink
                file(tar, "etc/os-release", "ID=training\n", mtime);
            }
        }
        return out.toByteArray();
    }

    private static TarWriter.Header header(String name, byte type, int mode, long size, long mtime, String link) {
        return new TarWriter.Header(name.endsWith("/") ? name.substring(0, name.length() - 1) : name, type, mode, 0, 0, size,
                mtime, link, 0, 0, Map.of());
    }

    private static void file(TarWriter tar, String name, String content, long mtime) throws IOException {
        byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
        tar.writeHeader(header(name, TarWriter.REG, 0644, bytes.length, mtime, null));
        tar.writeContent(new ByteArrayInputStream(bytes), bytes.length);
    }

    private static byte[] gzip(byte[] data) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(data);
        }
        return out.toByteArray();
    }

    // ---------------------------------------------------------------- the registry

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String method = ex.getRequestMethod();
            String path = ex.getRequestURI().getPath();
            String query = ex.getRequestURI().getRawQuery();
            byte[] body;
            try (InputStream in = ex.getRequestBody()) {
                body = in.readAllBytes();
            }
            if (path.equals("/v2/") || path.equals("/v2")) {
                send(ex, 200, "application/json", "{}".getBytes(StandardCharsets.UTF_8), null);
                return;
            }
            int manifestsAt = path.indexOf("/manifests/");
            int blobsAt = path.indexOf("/blobs/");
            if (manifestsAt > 0) {
                String repo = path.substring(4, manifestsAt);
                String reference = path.substring(manifestsAt + "/manifests/".length());
                if (method.equals("PUT")) {
                    String digest = Digest.sha256(body).toString();
                    manifests.put(repo + ":" + reference, body);
                    manifests.put(repo + ":" + digest, body);
                    ex.getResponseHeaders().add("Location", "/v2/" + repo + "/manifests/" + digest);
                    send(ex, 201, null, new byte[0], digest);
                    return;
                }
                byte[] m = manifests.get(repo + ":" + reference);
                if (m == null) {
                    send(ex, 404, "application/json", "{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\"}]}".getBytes(StandardCharsets.UTF_8), null);
                    return;
                }
                send(ex, 200, "application/vnd.oci.image.manifest.v1+json", m, Digest.sha256(m).toString());
                return;
            }
            if (blobsAt > 0 && path.contains("/blobs/uploads")) {
                String repo = path.substring(4, blobsAt);
                String id = path.substring(path.indexOf("/blobs/uploads") + "/blobs/uploads".length()).replace("/", "");
                if (method.equals("POST")) {
                    String fresh = java.util.UUID.randomUUID().toString();
                    uploads.put(fresh, new ByteArrayOutputStream());
                    ex.getResponseHeaders().add("Location", "/v2/" + repo + "/blobs/uploads/" + fresh);
                    ex.getResponseHeaders().add("Range", "0-0");
                    send(ex, 202, null, new byte[0], null);
                    return;
                }
                ByteArrayOutputStream upload = uploads.get(id);
                if (upload == null) {
                    send(ex, 404, null, new byte[0], null);
                    return;
                }
                upload.write(body);
                if (method.equals("PATCH")) {
                    ex.getResponseHeaders().add("Location", "/v2/" + repo + "/blobs/uploads/" + id);
                    ex.getResponseHeaders().add("Range", "0-" + Math.max(0, upload.size() - 1));
                    send(ex, 202, null, new byte[0], null);
                    return;
                }
                String digest = query == null ? "" : query.replaceAll(".*digest=([^&]*).*", "$1").replace("%3A", ":");
                blobs.put(digest, upload.toByteArray());
                uploads.remove(id);
                ex.getResponseHeaders().add("Location", "/v2/" + repo + "/blobs/" + digest);
                send(ex, 201, null, new byte[0], digest);
                return;
            }
            if (blobsAt > 0) {
                String digest = path.substring(blobsAt + "/blobs/".length());
                byte[] blob = blobs.get(digest);
                if (blob == null) {
                    send(ex, 404, "application/json", "{\"errors\":[{\"code\":\"BLOB_UNKNOWN\"}]}".getBytes(StandardCharsets.UTF_8), null);
                    return;
                }
                send(ex, 200, "application/octet-stream", blob, digest);
                return;
            }
            send(ex, 404, null, new byte[0], null);
        }
    }

    private static void send(HttpExchange ex, int status, String type, byte[] body, String digest) throws IOException {
        if (type != null) {
            ex.getResponseHeaders().add("Content-Type", type);
        }
        if (digest != null) {
            ex.getResponseHeaders().add("Docker-Content-Digest", digest);
        }
        boolean head = ex.getRequestMethod().equals("HEAD");
        if (head) {
            ex.getResponseHeaders().add("Content-Length", Integer.toString(body.length));
            ex.sendResponseHeaders(status, -1);
            return;
        }
        ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        if (body.length > 0) {
            ex.getResponseBody().write(body);
        }
    }
}
