package io.krgo.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Host names for 127.0.0.1 that are not "loopback" by name: proxies are never used for loopback addresses,
 * and a TLS certificate needs a name to be checked against. {@code .ci/run} adds them to /etc/hosts; so does
 * {@link #ensure()}, idempotently, when the test runs as root on a machine without them.
 */
public final class TestHosts {
    /** The registry under test. */
    public static final String REGISTRY = "krgo-registry.test";
    /** A second host, e.g. blob storage a registry redirects to. */
    public static final String STORAGE = "krgo-storage.test";
    /** The line .ci/run adds to /etc/hosts. */
    public static final String HOSTS_LINE = "127.0.0.1 " + REGISTRY + " " + STORAGE;

    private TestHosts() {
    }

    /** Makes sure both names resolve to 127.0.0.1, adding the /etc/hosts line when missing; fails otherwise. */
    public static synchronized void ensure() {
        // /etc/hosts first, before any lookup: the JDK caches a failed lookup for 10 s.
        Path hosts = Path.of("/etc/hosts");
        try {
            String current = Files.readString(hosts, StandardCharsets.UTF_8);
            boolean present = current.lines().map(String::strip).anyMatch(l -> l.startsWith("127.0.0.1 ")
                    && java.util.Arrays.asList(l.split("\\s+")).containsAll(java.util.List.of(REGISTRY, STORAGE)));
            if (!present) {
                Files.writeString(hosts, (current.endsWith("\n") || current.isEmpty() ? "" : "\n") + HOSTS_LINE + "\n",
                        StandardCharsets.UTF_8, StandardOpenOption.APPEND);
            }
        } catch (IOException e) {
            throw new AssertionError("this test needs '" + HOSTS_LINE + "' in /etc/hosts (as .ci/run adds it),"
                    + " and cannot add it: " + e.getMessage());
        }
        if (!resolvesToLoopback(REGISTRY) || !resolvesToLoopback(STORAGE)) {
            throw new AssertionError(REGISTRY + " and " + STORAGE + " do not resolve to 127.0.0.1 although /etc/hosts"
                    + " has '" + HOSTS_LINE + "'");
        }
    }

    private static boolean resolvesToLoopback(String name) {
        try {
            return InetAddress.getByName(name).getHostAddress().equals("127.0.0.1");
        } catch (IOException e) {
            return false;
        }
    }
}
