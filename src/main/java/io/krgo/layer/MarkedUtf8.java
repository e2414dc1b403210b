package io.krgo.layer;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.Charset;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CharsetEncoder;
import java.nio.charset.CoderResult;
import java.nio.charset.StandardCharsets;
import java.nio.charset.spi.CharsetProvider;
import java.util.Iterator;
import java.util.List;

/**
 * UTF-8 for reading tar header names, where every byte that is not part of valid UTF-8 becomes U+FFFD
 * (which {@link SafeRoot} refuses). Commons Compress offers no hook for this: asked for "UTF-8" it turns
 * invalid bytes into '?', so {@code caf\xe9} and {@code caf\xe8} silently become the same file; asked for a
 * strict decoder it falls back to ISO-8859-1. This charset never reports an error, so neither happens.
 * Found by name through {@link Provider} (registered in META-INF/services).
 */
final class MarkedUtf8 extends Charset {
    static final String NAME = "x-krgo-utf-8-marked";

    MarkedUtf8() {
        super(NAME, new String[0]);
    }

    @Override
    public boolean contains(Charset cs) {
        return cs.name().equals(NAME) || StandardCharsets.UTF_8.contains(cs);
    }

    @Override
    public CharsetDecoder newDecoder() {
        return new CharsetDecoder(this, 1.0f, 1.0f) {
            @Override
            protected CoderResult decodeLoop(ByteBuffer in, CharBuffer out) {
                // Header fields arrive whole (one decode call per name); decode them in one piece so a
                // sequence is never split between calls. UTF-8 never yields more chars than bytes.
                ByteBuffer rest = in.duplicate();
                byte[] bytes = new byte[rest.remaining()];
                rest.get(bytes);
                String s = new String(bytes, StandardCharsets.UTF_8); // invalid bytes -> U+FFFD
                if (s.length() > out.remaining()) {
                    return CoderResult.OVERFLOW;
                }
                out.put(s);
                in.position(in.limit());
                return CoderResult.UNDERFLOW;
            }
        };
    }

    @Override
    public CharsetEncoder newEncoder() {
        return StandardCharsets.UTF_8.newEncoder();
    }

    /** Makes {@link MarkedUtf8#NAME} known to {@link Charset#forName}. */
    public static final class Provider extends CharsetProvider {
        private final Charset charset = new MarkedUtf8();

        @Override
        public Iterator<Charset> charsets() {
            return List.of(charset).iterator();
        }

        @Override
        public Charset charsetForName(String name) {
            return NAME.equalsIgnoreCase(name) ? charset : null;
        }
    }
}
