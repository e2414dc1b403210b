package io.krgo.registry;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpHeaders;
import java.util.Optional;

/** A response whose body is still to be read (or closed). */
record Response(int status, HttpHeaders headers, InputStream body, URI uri) implements AutoCloseable {

    Optional<String> header(String name) {
        return headers.firstValue(name);
    }

    /** Reads at most {@code limit} bytes of the body (for error messages and small documents), then closes it. */
    byte[] readSmall(int limit) throws IOException {
        try (InputStream in = body) {
            return in.readNBytes(limit);
        }
    }

    @Override
    public void close() {
        try {
            body.close();
        } catch (IOException ignored) {
            // closing a body we no longer need: nothing useful to report
        }
    }
}
