package io.krgo.registry;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Objects;

/**
 * Registry credentials: a username with a password, or an identity (refresh) token. The one type that
 * holds secrets; {@link #toString()} never prints them so a log line or exception cannot leak them.
 */
public final class Credentials {
    private final String username;
    private final String password;
    private final String identityToken;

    private Credentials(String username, String password, String identityToken) {
        this.username = username == null ? "" : username;
        this.password = password;
        this.identityToken = identityToken;
    }

    public static Credentials basic(String username, String password) {
        return new Credentials(Objects.requireNonNull(username, "username"), Objects.requireNonNull(password, "password"), null);
    }

    /** An OAuth2 refresh token as Docker stores it ({@code identitytoken}, or a helper's {@code <token>} user). */
    public static Credentials identityToken(String username, String token) {
        return new Credentials(username, null, Objects.requireNonNull(token, "token"));
    }

    /** Parses {@code USER:PASS} as given to {@code -u}. */
    public static Credentials parseUserColonPassword(String text) {
        int colon = text.indexOf(':');
        if (colon <= 0) {
            throw new io.krgo.error.UsageException("credentials must be USER:PASSWORD");
        }
        return basic(text.substring(0, colon), text.substring(colon + 1));
    }

    public String username() {
        return username;
    }

    public boolean isIdentityToken() {
        return identityToken != null;
    }

    /** The password, or null for identity-token credentials. */
    String password() {
        return password;
    }

    String identityTokenValue() {
        return identityToken;
    }

    /** The {@code Authorization: Basic} value; only meaningful for username/password credentials. */
    String basicHeader() {
        String pair = username + ":" + (password == null ? "" : password);
        return "Basic " + Base64.getEncoder().encodeToString(pair.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Credentials c && username.equals(c.username) && Objects.equals(password, c.password)
                && Objects.equals(identityToken, c.identityToken);
    }

    @Override
    public int hashCode() {
        return Objects.hash(username, password, identityToken);
    }

    @Override
    public String toString() {
        return "Credentials[" + (identityToken != null ? "identity token" : "user=" + username) + ", secret=***]";
    }
}
