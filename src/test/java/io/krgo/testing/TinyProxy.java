package io.krgo.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * A real forward proxy: Debian's {@code tinyproxy} on a free 127.0.0.1 port with its own config file, optionally
 * with Basic authentication. Without {@code ConnectPort} lines it tunnels CONNECT to any port. Its log names
 * every request it received ({@code Request (file descriptor N): GET http://host:port/path HTTP/1.1}).
 */
public final class TinyProxy implements AutoCloseable {
    private final Path dir;
    private final ServerProcess process;
    private final int port;
    private final Path log;

    private TinyProxy(Path dir, Process process, int port, Path log) {
        this.dir = dir;
        this.process = new ServerProcess("tinyproxy", process);
        this.port = port;
        this.log = log;
    }

    /** A proxy without authentication. */
    public static TinyProxy start() {
        return start(null, null);
    }

    /** A proxy asking for Basic authentication as {@code user}/{@code password} (both null: none). */
    public static TinyProxy start(String user, String password) {
        Path exe = Tools.require("tinyproxy", "tinyproxy-bin");
        Path dir = null;
        try {
            dir = Files.createTempDirectory("krgo-tinyproxy");
            int port = RegistryHarness.freePort("127.0.0.1");
            Path log = dir.resolve("tinyproxy.log");
            String config = "Port " + port + "\nListen 127.0.0.1\nTimeout 120\nMaxClients 64\n"
                    + "LogFile \"" + log + "\"\nLogLevel Info\n"
                    + (user == null ? "" : "BasicAuth " + user + " " + password + "\n");
            Path conf = dir.resolve("tinyproxy.conf");
            Files.writeString(conf, config);
            Process p = new ProcessBuilder(exe.toString(), "-d", "-c", conf.toString())
                    .redirectErrorStream(true).redirectOutput(dir.resolve("stdout.txt").toFile()).start();
            TinyProxy proxy = new TinyProxy(dir, p, port, log);
            proxy.awaitListening();
            return proxy;
        } catch (IOException e) {
            Tools.deleteTree(dir);
            throw new AssertionError("cannot start tinyproxy: " + e.getMessage(), e);
        }
    }

    private void awaitListening() {
        process.awaitReady("listen", Duration.ofSeconds(10), ServerProcess.listening("127.0.0.1", port),
                () -> read(dir.resolve("stdout.txt")), this::close);
    }

    /** {@code http://127.0.0.1:PORT}. */
    public String url() {
        return "http://127.0.0.1:" + port;
    }

    /** {@code http://USER:PASSWORD@127.0.0.1:PORT}. */
    public String url(String user, String password) {
        return "http://" + user + ":" + password + "@127.0.0.1:" + port;
    }

    public int port() {
        return port;
    }

    /** The request lines the proxy logged, e.g. {@code CONNECT host:443 HTTP/1.1}, {@code GET http://h/p HTTP/1.1}. */
    public List<String> requests() {
        return read(log).lines().filter(l -> l.contains("Request (file descriptor"))
                .map(l -> l.substring(l.indexOf("): ") + 3)).toList();
    }

    public String log() {
        return read(log);
    }

    private static String read(Path p) {
        try {
            return Files.readString(p, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    @Override
    public void close() {
        process.stop();
        Tools.deleteTree(dir);
    }
}
