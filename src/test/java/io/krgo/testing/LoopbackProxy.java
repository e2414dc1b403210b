package io.krgo.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * An HTTP listener on 127.0.0.1 that forwards to a real registry (or serves by itself), recording every
 * request and counting the response body bytes it sends per path. An {@link Interceptor} may answer a
 * request instead, to inject what a real registry seldom does on demand: redirects to a storage host,
 * connections cut after N bytes, truncated, wrong, stalled or dripping bodies, 429/5xx answers, tag
 * pagination. Loopback only.
 */
public final class LoopbackProxy implements AutoCloseable {
    private static final Set<String> HOP_HEADERS = Set.of("host", "connection", "content-length", "transfer-encoding",
            "expect", "upgrade", "keep-alive");

    /** A request as the proxy received it. */
    public record Recorded(String method, String uri, Map<String, List<String>> headers) {
        public boolean hasHeader(String name) {
            return headers.keySet().stream().anyMatch(k -> k.equalsIgnoreCase(name));
        }
    }

    /** Answers a request itself (returning true) or lets it be forwarded (false). */
    @FunctionalInterface
    public interface Interceptor {
        boolean handle(HttpExchange exchange, LoopbackProxy proxy) throws IOException;
    }

    /** An upstream response read whole (tests only proxy small things). */
    public record Upstream(int status, Map<String, List<String>> headers, byte[] body) {
    }

    private final HttpServer server;
    private final ExecutorService executor;
    private final String upstream;
    private final HttpClient client;
    private final List<Recorded> requests = new CopyOnWriteArrayList<>();
    private final Map<String, java.util.concurrent.atomic.AtomicLong> bodyBytes = new java.util.concurrent.ConcurrentHashMap<>();

    private LoopbackProxy(HttpServer server, ExecutorService executor, String upstream) {
        this.server = server;
        this.executor = executor;
        this.upstream = upstream;
        this.client = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER)
                .version(HttpClient.Version.HTTP_1_1).build();
    }

    /** @param upstreamHost {@code host:port} to forward to, or null for a listener that only intercepts */
    public static LoopbackProxy start(String upstreamHost, Interceptor interceptor) {
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            ExecutorService executor = Executors.newCachedThreadPool(r -> {
                Thread t = new Thread(r, "loopback-proxy");
                t.setDaemon(true);
                return t;
            });
            server.setExecutor(executor);
            LoopbackProxy proxy = new LoopbackProxy(server, executor, upstreamHost);
            server.createContext("/", ex -> {
                try (ex) {
                    proxy.requests.add(new Recorded(ex.getRequestMethod(), ex.getRequestURI().toString(),
                            Map.copyOf(ex.getRequestHeaders())));
                    if (interceptor != null && interceptor.handle(ex, proxy)) {
                        return;
                    }
                    if (upstreamHost == null) {
                        ex.sendResponseHeaders(404, -1);
                        return;
                    }
                    proxy.forward(ex);
                } catch (IOException | RuntimeException e) {
                    // the client sees a broken connection, which some tests want
                }
            });
            server.start();
            return proxy;
        } catch (IOException e) {
            throw new AssertionError("cannot start a loopback proxy: " + e.getMessage(), e);
        }
    }

    /** {@code 127.0.0.1:PORT}. */
    public String host() {
        return "127.0.0.1:" + server.getAddress().getPort();
    }

    public List<Recorded> requests() {
        return List.copyOf(requests);
    }

    /** Requests whose path contains {@code fragment}, in arrival order. */
    public List<Recorded> requests(String method, String fragment) {
        return requests.stream().filter(r -> r.method().equals(method) && r.uri().contains(fragment)).toList();
    }

    /** Response body bytes this proxy has written for requests to {@code path} (cut bodies count what was sent). */
    public long bodyBytesSent(String path) {
        java.util.concurrent.atomic.AtomicLong n = bodyBytes.get(path);
        return n == null ? 0 : n.get();
    }

    private void countBody(HttpExchange ex, long n) {
        bodyBytes.computeIfAbsent(ex.getRequestURI().getPath(), k -> new java.util.concurrent.atomic.AtomicLong()).addAndGet(n);
    }

    /** The start offset of a {@code Range: bytes=N-} request header, or 0 without one. */
    public static long rangeStart(HttpExchange ex) {
        String range = ex.getRequestHeaders().getFirst("Range");
        if (range == null) {
            return 0;
        }
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("bytes=(\\d+)-").matcher(range);
        return m.find() ? Long.parseLong(m.group(1)) : 0;
    }

    /** The URL-decoded query parameter {@code name}, or {@code otherwise} when the request has none. */
    public static String queryParam(HttpExchange ex, String name, String otherwise) {
        String q = ex.getRequestURI().getRawQuery();
        if (q != null) {
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?:^|&)" + name + "=([^&]*)").matcher(q);
            if (m.find()) {
                return java.net.URLDecoder.decode(m.group(1), java.nio.charset.StandardCharsets.UTF_8);
            }
        }
        return otherwise;
    }

    /**
     * Pages the upstream registry's real tag list of {@code repository} as the distribution spec says
     * ({@code ?n=}, {@code &last=}, a {@code Link: <...>; rel="next"} header), which distribution 2.8 itself
     * ignores. Other requests are forwarded.
     */
    public static Interceptor paginatingTags(String repository) {
        ObjectMapper json = new ObjectMapper();
        return (ex, self) -> {
            if (!ex.getRequestURI().getPath().endsWith("/tags/list")) {
                return false;
            }
            int n = Integer.parseInt(queryParam(ex, "n", "1000"));
            String last = queryParam(ex, "last", "");
            Upstream up = self.fetch("GET", ex.getRequestURI().getPath(), ex.getRequestHeaders(), null);
            List<String> all = new java.util.ArrayList<>();
            json.readTree(up.body()).path("tags").forEach(t -> all.add(t.asText()));
            List<String> rest = all.stream().sorted().filter(t -> t.compareTo(last) > 0).toList();
            List<String> page = rest.subList(0, Math.min(n, rest.size()));
            ObjectNode out = json.createObjectNode();
            out.put("name", repository);
            page.forEach(out.putArray("tags")::add);
            if (rest.size() > page.size()) {
                ex.getResponseHeaders().set("Link", "<" + ex.getRequestURI().getPath() + "?n=" + n + "&last="
                        + page.get(page.size() - 1) + ">; rel=\"next\"");
            }
            byte[] body = json.writeValueAsBytes(out);
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
            return true;
        };
    }

    /**
     * Sends the headers of {@code up} announcing all of {@code body}, then only its first {@code cutAfter}
     * bytes, then breaks the connection (the exception makes the server drop it).
     */
    public void respondCut(HttpExchange ex, Upstream up, byte[] body, int cutAfter) throws IOException {
        copyHeaders(ex, up);
        ex.sendResponseHeaders(up.status(), body.length);
        OutputStream out = ex.getResponseBody();
        out.write(body, 0, cutAfter);
        out.flush();
        countBody(ex, cutAfter);
        throw new IOException("connection cut on purpose after " + cutAfter + " bytes");
    }

    /**
     * Announces all of {@code body}, writes it in {@code step}-byte pieces with {@code pause} between them (a
     * slow drip), and after {@code stallAfter} bytes sends nothing more, holding the connection open until the
     * proxy is closed (or a minute passes).
     */
    public void respondDrippingThenStalling(HttpExchange ex, Upstream up, byte[] body, int step,
                                            java.time.Duration pause, int stallAfter) throws IOException {
        copyHeaders(ex, up);
        ex.sendResponseHeaders(up.status(), body.length);
        OutputStream out = ex.getResponseBody();
        try {
            for (int off = 0; off < Math.min(stallAfter, body.length); off += step) {
                int n = Math.min(step, Math.min(stallAfter, body.length) - off);
                out.write(body, off, n);
                out.flush();
                countBody(ex, n);
                Thread.sleep(pause.toMillis());
            }
            Thread.sleep(60_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        throw new IOException("stalled on purpose");
    }

    private void copyHeaders(HttpExchange ex, Upstream up) {
        up.headers().forEach((k, vs) -> {
            if (!HOP_HEADERS.contains(k.toLowerCase()) && !k.startsWith(":")) {
                vs.forEach(v -> ex.getResponseHeaders().add(k, upstream == null ? v : v.replace(upstream, host())));
            }
        });
    }

    /** Fetches from upstream what this request asks for (method, path, headers; no body). */
    public Upstream fetch(HttpExchange ex) throws IOException {
        return fetch(ex.getRequestMethod(), ex.getRequestURI().toString(), ex.getRequestHeaders(), null);
    }

    public Upstream fetch(String method, String uri, Headers headers, byte[] body) throws IOException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://" + upstream + uri))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        headers.forEach((k, vs) -> {
            if (!HOP_HEADERS.contains(k.toLowerCase())) {
                vs.forEach(v -> b.header(k, v));
            }
        });
        try {
            HttpResponse<byte[]> r = client.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
            return new Upstream(r.statusCode(), r.headers().map(), r.body());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted");
        }
    }

    private void forward(HttpExchange ex) throws IOException {
        byte[] body;
        try (InputStream in = ex.getRequestBody()) {
            body = in.readAllBytes();
        }
        Upstream up = fetch(ex.getRequestMethod(), ex.getRequestURI().toString(), ex.getRequestHeaders(),
                body.length == 0 ? null : body);
        respond(ex, up, up.body());
    }

    /** Sends an upstream response (with its Location/Link rewritten to point at this proxy). */
    public void respond(HttpExchange ex, Upstream up, byte[] body) throws IOException {
        copyHeaders(ex, up);
        boolean noBody = ex.getRequestMethod().equals("HEAD") || up.status() == 204 || up.status() == 304;
        if (noBody) {
            up.headers().getOrDefault("content-length", List.of()).forEach(v -> ex.getResponseHeaders().set("Content-Length", v));
            ex.sendResponseHeaders(up.status(), -1);
            return;
        }
        ex.sendResponseHeaders(up.status(), body.length == 0 ? -1 : body.length);
        if (body.length > 0) {
            try (OutputStream out = ex.getResponseBody()) {
                out.write(body);
            }
            countBody(ex, body.length);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
