package io.krgo.registry;

import java.io.IOException;

/** Supplies a fresh resource each call (a blob stream can be re-opened when an upload restarts). */
@FunctionalInterface
public interface IOSupplier<T> {
    T get() throws IOException;
}
