package io.krgo.tar;

/**
 * A malformed field, found where the entry's name is not at hand; {@link TarReader} turns it into an
 * {@link io.krgo.error.UnsafeImageException} naming the entry.
 */
final class TarFormatException extends Exception {
    TarFormatException(String problem) {
        super(problem, null, false, false);
    }
}
