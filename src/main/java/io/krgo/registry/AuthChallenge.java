package io.krgo.registry;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * One challenge of a {@code WWW-Authenticate} header (RFC 7235): a scheme and its auth-params.
 * Parameter names are lower-cased; the scheme keeps its spelling but compares case-insensitively.
 */
public record AuthChallenge(String scheme, Map<String, String> params) {

    public AuthChallenge {
        params = Map.copyOf(params);
    }

    public boolean isScheme(String name) {
        return scheme.equalsIgnoreCase(name);
    }

    public Optional<String> param(String name) {
        return Optional.ofNullable(params.get(name.toLowerCase(Locale.ROOT)));
    }

    /**
     * Parses a header value that may hold several challenges, e.g.
     * {@code Bearer realm="https://a/token",service="r",scope="repository:x:pull", Basic realm="y"}.
     * Quoted strings may contain commas and backslash escapes. Malformed tails are ignored, never fatal.
     */
    public static List<AuthChallenge> parseAll(String header) {
        List<AuthChallenge> out = new ArrayList<>();
        if (header == null) {
            return out;
        }
        Lexer lx = new Lexer(header);
        String scheme = null;
        Map<String, String> params = new LinkedHashMap<>();
        while (true) {
            lx.skipSpaceAndCommas();
            if (lx.atEnd()) {
                break;
            }
            String token = lx.token();
            if (token.isEmpty()) {
                lx.pos++; // unexpected character: skip it rather than loop forever
                continue;
            }
            lx.skipSpace();
            if (lx.peek() == '=' && scheme != null) {
                // could be a param (name=value) or a token68 ending in '='; params are what registries send
                lx.pos++;
                lx.skipSpace();
                String value = lx.peek() == '"' ? lx.quoted() : lx.token68();
                params.put(token.toLowerCase(Locale.ROOT), value);
            } else {
                if (scheme != null) {
                    out.add(new AuthChallenge(scheme, params));
                    params = new LinkedHashMap<>();
                }
                scheme = token;
            }
        }
        if (scheme != null) {
            out.add(new AuthChallenge(scheme, params));
        }
        return out;
    }

    private static final class Lexer {
        private final String s;
        private int pos;

        Lexer(String s) {
            this.s = s;
        }

        boolean atEnd() {
            return pos >= s.length();
        }

        char peek() {
            return atEnd() ? '\0' : s.charAt(pos);
        }

        void skipSpace() {
            while (!atEnd() && (peek() == ' ' || peek() == '\t')) {
                pos++;
            }
        }

        void skipSpaceAndCommas() {
            while (!atEnd() && (peek() == ' ' || peek() == '\t' || peek() == ',')) {
                pos++;
            }
        }

        String token() {
            int start = pos;
            while (!atEnd() && isTokenChar(peek())) {
                pos++;
            }
            return s.substring(start, pos);
        }

        String token68() {
            int start = pos;
            while (!atEnd() && peek() != ',' && peek() != ' ' && peek() != '\t') {
                pos++;
            }
            return s.substring(start, pos);
        }

        String quoted() {
            pos++; // opening quote
            StringBuilder sb = new StringBuilder();
            while (!atEnd()) {
                char c = s.charAt(pos++);
                if (c == '\\' && !atEnd()) {
                    sb.append(s.charAt(pos++));
                } else if (c == '"') {
                    return sb.toString();
                } else {
                    sb.append(c);
                }
            }
            return sb.toString(); // unterminated: take what there is
        }

        private static boolean isTokenChar(char c) {
            return c > ' ' && c < 127 && "()<>@,;:\\\"/[]?={}".indexOf(c) < 0;
        }
    }
}
