package io.krgo.registry;

import io.krgo.error.RegistryException;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.URI;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Flow;
import java.util.function.Supplier;

/**
 * One HTTP request and its response headers, nothing more: no retries, no redirects. Sets the timeouts,
 * logs the exchange when asked, and turns a proxy's refusal into a message naming the proxy.
 */
final class Wire {
    private static final long SLOWEST_UPLOAD_BYTES_PER_SECOND = 32 * 1024;
    private static final String TUNNEL_FAILED = "Tunnel failed, got: ";

    /**
     * HTTP exchanges are logged at DEBUG level to the System.Logger "io.krgo.http" (headers never) when the
     * system property {@link RegistryClient#HTTP_LOG_PROPERTY} is true ({@code krgo --debug} sets it). Only
     * then is the logger looked up: the first lookup initialises java.util.logging, ~12 ms of every start.
     */
    private static final class HttpLog {
        static final System.Logger LOG = System.getLogger("io.krgo.http");
    }

    private final HttpClients clients;
    private final RegistryOptions options;

    Wire(HttpClients clients, RegistryOptions options) {
        this.clients = clients;
        this.options = options;
    }

    Response once(String method, URI uri, Map<String, String> headers,
                  Supplier<HttpRequest.BodyPublisher> body) throws IOException {
        HttpRequest.BodyPublisher publisher = body == null ? HttpRequest.BodyPublishers.noBody() : body.get();
        // The JDK's request timeout runs until the response headers, so it includes sending the body:
        // allow an upload time for it at a slow but not stalled rate.
        Duration timeout = options.readTimeout();
        if (publisher.contentLength() > 0) {
            timeout = timeout.plusSeconds(publisher.contentLength() / SLOWEST_UPLOAD_BYTES_PER_SECOND);
        }
        HttpRequest.Builder b = HttpRequest.newBuilder(uri)
                .header("User-Agent", options.userAgent())
                .method(method, publisher);
        if (publisher.contentLength() >= 0) {
            // A body of unknown length is streamed while it is produced (BlobUpload): its pace is the
            // producer's, so BlobUpload watches for stalls itself instead.
            b.timeout(timeout);
        }
        headers.forEach(b::header);
        long started = System.nanoTime();
        try {
            HttpResponse<Flow.Publisher<List<ByteBuffer>>> r =
                    clients.forUri(uri).send(b.build(), HttpResponse.BodyHandlers.ofPublisher());
            if (Boolean.getBoolean(RegistryClient.HTTP_LOG_PROPERTY) && HttpLog.LOG.isLoggable(System.Logger.Level.DEBUG)) {
                HttpLog.LOG.log(System.Logger.Level.DEBUG, method + " " + redacted(uri) + " -> " + r.statusCode()
                        + " (" + (System.nanoTime() - started) / 1_000_000 + " ms)");
            }
            ProxySelection.Endpoint proxy = r.statusCode() == 407 ? clients.proxyFor(uri) : null;
            if (proxy != null) {
                if (r.body() != null) { // none when the proxy refused a CONNECT tunnel
                    new PublisherInputStream(r.body(), options.readTimeout()).close();
                }
                throw proxy.refused(uri);
            }
            return new Response(r.statusCode(), r.headers(), new PublisherInputStream(r.body(), options.readTimeout()), uri);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted");
        } catch (HttpTimeoutException e) {
            if (e instanceof HttpConnectTimeoutException || publisher.contentLength() < 0) {
                throw e;
            }
            // The JDK says "request timed out": say how long krgo waited, which --timeout sets.
            HttpTimeoutException t = new HttpTimeoutException("no answer for " + timeout.toMillis() / 1000.0 + " s");
            t.initCause(e);
            throw t;
        } catch (IOException e) {
            // The JDK reports a refused CONNECT only in this message: it is all there is to go by.
            ProxySelection.Endpoint proxy = String.valueOf(e.getMessage()).startsWith(TUNNEL_FAILED)
                    ? clients.proxyFor(uri) : null;
            if (proxy == null) {
                throw e;
            }
            String status = e.getMessage().substring(TUNNEL_FAILED.length()).strip();
            if (status.equals("401") || status.equals("407")) {
                throw proxy.refused(uri); // the JDK retried with the URL's credentials, and the proxy said no again
            }
            throw new RegistryException("proxy " + proxy.shown() + " (" + proxy.variable() + ") answered " + status
                    + " to CONNECT " + uri.getAuthority(), e);
        }
    }

    /** Query strings can carry upload state or signed-URL signatures: never log them. */
    private static String redacted(URI uri) {
        String q = uri.getRawQuery();
        String base = uri.getScheme() + "://" + uri.getRawAuthority() + uri.getRawPath();
        return q == null ? base : base + "?<redacted>";
    }
}
