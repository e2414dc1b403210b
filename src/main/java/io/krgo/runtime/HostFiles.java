package io.krgo.runtime;

import io.krgo.error.FilesystemException;
import io.krgo.sys.OutputFile;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The files docker gives every container, so images that ship none still resolve names: the host's
 * {@code /etc/resolv.conf} (bound read-only), and a generated {@code /etc/hosts} (localhost, the
 * container's host name, and with the host network the host's own entries) and {@code /etc/hostname}.
 * The generated files live in krgo's metadata directory beside the rootfs, never inside it.
 */
final class HostFiles {
    static final Path HOST_RESOLV_CONF = Path.of("/etc/resolv.conf");
    static final Path HOST_HOSTS = Path.of("/etc/hosts");
    private static final long MAX_HOSTS_BYTES = 1024 * 1024;

    private HostFiles() {
    }

    /**
     * Writes {@code hosts} and {@code hostname} into {@code dir} and returns the binds (container path →
     * host path), in mount order.
     */
    static Map<String, String> write(Path dir, String hostname, RunOptions.Network network) {
        Map<String, String> binds = new LinkedHashMap<>();
        if (Files.isRegularFile(HOST_RESOLV_CONF)) {
            binds.put("/etc/resolv.conf", HOST_RESOLV_CONF.toString());
        }
        try {
            Files.createDirectories(dir);
            Path hostnameFile = dir.resolve("hostname");
            Path hostsFile = dir.resolve("hosts");
            OutputFile.write(hostnameFile, (hostname + "\n").getBytes(StandardCharsets.UTF_8));
            OutputFile.write(hostsFile, hosts(hostname, network).getBytes(StandardCharsets.UTF_8));
            binds.put("/etc/hostname", hostnameFile.toAbsolutePath().toString());
            binds.put("/etc/hosts", hostsFile.toAbsolutePath().toString());
        } catch (IOException e) {
            throw new FilesystemException("cannot write the container's hosts files in " + dir + ": " + e.getMessage(), e);
        }
        return binds;
    }

    static String hosts(String hostname, RunOptions.Network network) throws IOException {
        StringBuilder b = new StringBuilder();
        b.append("127.0.0.1\tlocalhost\n");
        b.append("::1\tlocalhost ip6-localhost ip6-loopback\n");
        b.append("127.0.1.1\t").append(hostname).append('\n');
        if (network == RunOptions.Network.HOST && Files.isRegularFile(HOST_HOSTS)
                && Files.size(HOST_HOSTS) <= MAX_HOSTS_BYTES) {
            b.append("# the host's /etc/hosts (host network)\n");
            for (String line : Files.readAllLines(HOST_HOSTS, StandardCharsets.UTF_8)) {
                String t = line.strip();
                if (!t.isEmpty() && !t.startsWith("#")) {
                    b.append(t).append('\n');
                }
            }
        }
        return b.toString();
    }

}
