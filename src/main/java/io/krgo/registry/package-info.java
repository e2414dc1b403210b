/**
 * The OCI distribution API client.
 *
 * <p>{@link io.krgo.registry.RegistryClient} is the entry point ({@code forReference(ref, options)});
 * {@link io.krgo.registry.RegistryImage} resolves a reference to an {@link io.krgo.image.Image} for one
 * platform. All HTTP goes through one package-private {@code Transport}: it pings {@code /v2/} once to learn
 * the scheme and the authentication (Bearer tokens cached per scope, or Basic), follows redirects itself
 * (never sending Authorization to another host), retries transient failures within a
 * {@link io.krgo.registry.RetryPolicy}, and maps failures to one-line {@code io.krgo.error} exceptions.
 *
 * <p>Schemes: HTTPS with normal verification by default; plain HTTP for loopback hosts; with
 * {@code insecure}, HTTPS without certificate checks first, then plain HTTP.
 *
 * <p>Credentials come from the caller or the auth files (containers-auth.json, then the Docker config;
 * {@link io.krgo.registry.CredentialResolver})
 * and live only in {@link io.krgo.registry.Credentials}, which never prints its secret.
 */
package io.krgo.registry;
