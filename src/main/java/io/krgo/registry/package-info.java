/**
 * The OCI distribution API client.
 *
 * <p>{@link io.krgo.registry.RegistryClient} is the entry point ({@code forReference(ref, options)});
 * {@link io.krgo.registry.RegistryImage} resolves a reference to an {@link io.krgo.image.Image} for one
 * platform; {@link io.krgo.registry.RegistryEndpoint} applies registries.conf (location, blocked, insecure) to
 * a reference first. All HTTP goes through one package-private {@code Transport}, one small class per concern:
 * {@code Ping} settles the scheme, {@code RegistryAuth} the authentication (Bearer tokens cached per scope, or
 * Basic), {@code Redirects} follows redirects (never sending Authorization to another host), {@code RetryLoop}
 * retries transient failures within a {@link io.krgo.registry.RetryPolicy}, {@code Wire} makes one exchange,
 * and {@code ErrorMapping} maps failures to one-line {@code io.krgo.error} exceptions whose cause keeps the
 * registry's answer ({@link io.krgo.registry.RegistryErrorResponse}).
 *
 * <p>Schemes: HTTPS with normal verification by default; loopback addresses plain HTTP first, then verified
 * HTTPS when they answer as a TLS listener; with {@code insecure}, HTTPS without certificate checks first, then
 * plain HTTP.
 *
 * <p>Credentials come from the caller or the auth files (containers-auth.json, then the Docker config;
 * {@link io.krgo.registry.CredentialResolver})
 * and live only in {@link io.krgo.registry.Credentials}, which never prints its secret.
 */
package io.krgo.registry;
