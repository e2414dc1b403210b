package io.krgo.registry;

import io.krgo.stream.BulkOutputStream;
import io.krgo.error.KrgoException;
import io.krgo.error.RegistryException;
import io.krgo.image.Digest;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.concurrent.Flow;

/**
 * A blob upload whose bytes are written while they are produced (a layer being compressed), before its
 * digest is known: a POST opening the session (at once, on the upload's own thread), one PATCH whose body streams what {@link #write} gets (chunked transfer encoding),
 * then, in {@link #complete}, a PUT with the digest. Memory is bounded: {@link #write} waits while 8 MiB
 * are queued. Not retried: a stream cannot be replayed, so when anything fails (write throws, or
 * complete does) the caller uploads the blob again from a stored copy with {@link RegistryClient#uploadBlob}.
 * Writes come from one thread.
 */
public final class BlobUpload extends BulkOutputStream {
    private static final long MAX_QUEUED = 8L << 20;
    /** Heap buffers a socket write copies whole into a direct buffer: keep them small, so a short write wastes little. */
    private static final int PIECE = 256 * 1024;
    private static final String OCTET = "application/octet-stream";

    private final RegistryClient client;
    private final Transport transport;
    private final String repo;
    private final java.util.function.Supplier<URI> opener;
    private volatile URI location;
    private final Duration stallTimeout;
    private final Object lock = new Object();
    private final ArrayDeque<ByteBuffer> queue = new ArrayDeque<>();
    private long queuedBytes;
    private long demand;
    private boolean ended;
    private boolean completeSent;
    private boolean cancelled;
    private boolean draining;
    private boolean missed;
    private Flow.Subscriber<? super ByteBuffer> subscriber;
    private final Thread sender = new Thread(this::send, "krgo-upload");
    private long written;
    private volatile RuntimeException failure;
    private volatile URI next;
    private volatile long acknowledged = -1;

    /** @param opener opens the upload session (POST) and returns its location; run on the upload's thread */
    BlobUpload(RegistryClient client, Transport transport, String repo, java.util.function.Supplier<URI> opener,
               Duration stallTimeout) {
        this.client = client;
        this.transport = transport;
        this.repo = repo;
        this.opener = opener;
        this.stallTimeout = stallTimeout;
        // At once: the session opens (the first request may also settle the connection and authentication)
        // while the caller starts producing; bytes written meanwhile wait in the queue.
        start();
    }


    /** Queues a copy of the bytes; throws once the upload has failed (later bytes would be lost anyway). */
    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        while (len > 0) {
            int n = Math.min(len, PIECE);
            ByteBuffer piece = ByteBuffer.allocate(n).put(b, off, n).flip();
            synchronized (lock) {
                long deadline = System.nanoTime() + stallTimeout.toNanos();
                while (queuedBytes >= MAX_QUEUED && usable()) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        fail(new RegistryException("upload to " + client.registry() + " stalled: no progress for "
                                + stallTimeout.toSeconds() + " s"));
                        break;
                    }
                    waitOn(left);
                }
                if (!usable()) {
                    throw new IOException("the streamed upload stopped: " + reason());
                }
                queue.add(piece);
                queuedBytes += n;
                written += n;
            }
            drain();
            off += n;
            len -= n;
        }
    }

    private boolean usable() {
        return !cancelled && failure == null;
    }

    private String reason() {
        RuntimeException f = failure;
        return f != null ? f.getMessage() : "cancelled by the HTTP client";
    }

    private void waitOn(long nanos) throws IOException {
        try {
            lock.wait(Math.max(1, nanos / 1_000_000));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while uploading");
        }
    }

    private void fail(RuntimeException e) {
        synchronized (lock) {
            if (failure == null) {
                failure = e;
            }
            queue.clear();
            queuedBytes = 0;
            lock.notifyAll();
        }
    }

    private void start() {
        sender.setDaemon(true);
        sender.start();
    }

    /** POST, then the PATCH: runs until the registry answers, i.e. until the body has ended. */
    private void send() {
        try {
            location = opener.get();
        } catch (RuntimeException e) {
            fail(e);
            return;
        }
        Flow.Publisher<ByteBuffer> body = this::subscribe;
        try (Response resp = transport.send(new Transport.Request("PATCH", location, Map.of("Content-Type", OCTET),
                () -> HttpRequest.BodyPublishers.fromPublisher(body), false, RegistryApi.push(repo), repo))) {
            if (resp.status() != 202) {
                throw transport.unexpected(resp, "streamed blob upload", repo);
            }
            next = RegistryApi.resolve(resp.uri(), resp.header("Location")
                    .orElseThrow(() -> new RegistryException("registry " + client.registry() + " sent no upload location")));
            // distribution answers "Range: 0-<last byte>": the bytes it holds
            resp.header("Range").map(r -> r.substring(r.indexOf('-') + 1).trim()).ifPresent(last -> {
                try {
                    acknowledged = Long.parseLong(last) + 1;
                } catch (NumberFormatException ignored) {
                    // not every registry sends it; the PUT's digest check decides anyway
                }
            });
        } catch (RuntimeException e) {
            fail(e);
        }
    }

    private void subscribe(Flow.Subscriber<? super ByteBuffer> s) {
        synchronized (lock) {
            if (subscriber != null) {
                // a redirect or retry would send the body again: it cannot be replayed
                s.onSubscribe(new Flow.Subscription() {
                    @Override
                    public void request(long n) {
                    }

                    @Override
                    public void cancel() {
                    }
                });
                s.onError(new IOException("a streamed upload cannot be sent twice"));
                return;
            }
            subscriber = s;
        }
        s.onSubscribe(new Flow.Subscription() {
            @Override
            public void request(long n) {
                synchronized (lock) {
                    demand = demand + n < 0 ? Long.MAX_VALUE : demand + n;
                }
                drain();
            }

            @Override
            public void cancel() {
                synchronized (lock) {
                    cancelled = true;
                    queue.clear();
                    queuedBytes = 0;
                    lock.notifyAll();
                }
            }
        });
        drain();
    }

    /** Hands queued bytes to the subscriber as it asks for them; one thread at a time, never under the lock. */
    private void drain() {
        synchronized (lock) {
            if (draining) {
                missed = true;
                return;
            }
            draining = true;
        }
        while (true) {
            ByteBuffer item = null;
            boolean complete = false;
            Flow.Subscriber<? super ByteBuffer> s;
            synchronized (lock) {
                s = subscriber;
                if (s != null && !cancelled && demand > 0 && !queue.isEmpty()) {
                    item = queue.poll();
                    demand--;
                    queuedBytes -= item.remaining();
                    lock.notifyAll();
                } else if (s != null && !cancelled && ended && queue.isEmpty() && !completeSent) {
                    completeSent = true;
                    complete = true;
                } else if (missed) {
                    missed = false;
                    continue;
                } else {
                    draining = false;
                    return;
                }
            }
            if (item != null) {
                s.onNext(item);
            } else if (complete) {
                s.onComplete();
            }
        }
    }

    /**
     * Ends the body, waits for the registry to take it and finishes the upload as {@code digest} ({@code size}
     * bytes). Throws when anything went wrong; the blob must then be uploaded again.
     */
    public void complete(Digest digest, long size) {
        synchronized (lock) {
            ended = true;
        }
        drain();
        try {
            // The body ends when the queue is sent; then the registry answers within the read timeout.
            long lastQueued = -1;
            long since = System.nanoTime();
            while (sender.isAlive()) {
                sender.join(100);
                long q;
                synchronized (lock) {
                    q = queuedBytes;
                }
                if (q != lastQueued) {
                    lastQueued = q;
                    since = System.nanoTime();
                } else if (System.nanoTime() - since > stallTimeout.toNanos()) {
                    sender.interrupt();
                    throw new RegistryException("upload to " + client.registry() + " timed out waiting for the registry");
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RegistryException("interrupted while uploading", e);
        }
        if (failure != null) {
            throw failure;
        }
        if (written != size || (acknowledged >= 0 && acknowledged != size)) {
            throw new RegistryException("streamed upload incomplete: " + written + " of " + size + " bytes sent, "
                    + acknowledged + " acknowledged");
        }
        client.finishStreamed(repo, next, digest);
    }

    /** Gives the upload up (the registry session is cancelled, best effort). */
    public void abort() {
        synchronized (lock) {
            cancelled = true;
            queue.clear();
            queuedBytes = 0;
            lock.notifyAll();
        }
        sender.interrupt();
        URI session = next != null ? next : location;
        if (session == null) {
            return;
        }
        try {
            client.cancelUpload(repo, session);
        } catch (KrgoException ignored) {
            // an abandoned session expires on the registry anyway
        }
    }

    /** Bytes written so far. */
    public long written() {
        return written;
    }
}
