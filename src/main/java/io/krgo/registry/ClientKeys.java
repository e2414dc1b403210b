package io.krgo.registry;

import io.krgo.error.UsageException;

import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.security.auth.x500.X500Principal;
import java.net.Socket;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.Principal;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Client certificates for mutual TLS: a host's certs.d pairs ({@code NAME.cert} + {@code NAME.key}), then the
 * configured {@code --cert}/{@code --key}. Of those, the first whose key type the server accepts and whose
 * issuer it names (when it names any) is presented.
 */
final class ClientKeys extends X509ExtendedKeyManager {
    /** A certificate chain and its private key, from PEM files. */
    record Pair(Path certFile, X509Certificate[] chain, PrivateKey key) {
        static Pair load(Path cert, Path key) {
            List<X509Certificate> chain = PemFiles.certificates(cert);
            if (chain.isEmpty()) {
                throw new UsageException("no certificate in " + cert);
            }
            PrivateKey k = PemFiles.privateKey(key);
            if (!chain.get(0).getPublicKey().getAlgorithm().equals(k.getAlgorithm())) {
                throw new UsageException("key " + key + " (" + k.getAlgorithm() + ") does not belong to certificate "
                        + cert + " (" + chain.get(0).getPublicKey().getAlgorithm() + ")");
            }
            return new Pair(cert, chain.toArray(new X509Certificate[0]), k);
        }

        String alias() {
            return certFile.toString();
        }

        boolean fits(String keyType) {
            String alg = key.getAlgorithm();
            return keyType.equals(alg) || (alg.equals("RSA") && keyType.equals("RSASSA-PSS"))
                    || (alg.equals("EC") && keyType.startsWith("EC"));
        }

        boolean issuedByOneOf(Principal[] issuers) {
            if (issuers == null || issuers.length == 0) {
                return true;
            }
            for (X509Certificate c : chain) {
                X500Principal issuer = c.getIssuerX500Principal();
                if (Arrays.stream(issuers).anyMatch(issuer::equals)) {
                    return true;
                }
            }
            return false;
        }
    }

    private final HostTls tls;
    private final Map<String, Pair> byAlias = new ConcurrentHashMap<>();
    /** Hosts that asked for a client certificate when krgo had none to give (TLS 1.3 reports it late, if at all). */
    private final java.util.Set<String> askedInVain = ConcurrentHashMap.newKeySet();
    private volatile Pair configured;

    ClientKeys(HostTls tls) {
        this.tls = tls;
    }

    private List<Pair> pairsFor(String authority) {
        List<Pair> pairs = new ArrayList<>(tls.hostFiles(authority).clientPairs());
        Pair p = configured();
        if (p != null) {
            pairs.add(p);
        }
        return pairs;
    }

    /** The configured pair (--cert/--key), read once; null when none. */
    Pair configured() {
        TlsConfig c = tls.config();
        if (c.clientCert() == null) {
            return null;
        }
        Pair p = configured;
        if (p == null) {
            p = Pair.load(c.clientCert(), c.clientKey());
            configured = p;
        }
        return p;
    }

    private String choose(String[] keyTypes, Principal[] issuers, String authority) {
        List<Pair> pairs = pairsFor(authority);
        for (boolean strict : new boolean[] {true, false}) {
            for (Pair p : pairs) {
                for (String type : keyTypes) {
                    if (p.fits(type) && (!strict || p.issuedByOneOf(issuers))) {
                        byAlias.put(p.alias(), p);
                        askedInVain.remove(authority);
                        return p.alias();
                    }
                }
            }
        }
        askedInVain.add(authority);
        return null;
    }

    /** True when {@code authority} asked for a client certificate and krgo presented none. */
    boolean askedInVain(String authority) {
        return askedInVain.contains(authority);
    }

    @Override
    public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
        return choose(keyType, issuers, HostTls.authority(engine.getPeerHost(), engine.getPeerPort()));
    }

    @Override
    public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
        return choose(keyType, issuers, HostTls.authority(socket.getInetAddress().getHostAddress(), socket.getPort()));
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
        Pair p = byAlias.get(alias);
        return p == null ? null : p.chain().clone();
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
        Pair p = byAlias.get(alias);
        return p == null ? null : p.key();
    }

    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
        return byAlias.keySet().toArray(new String[0]);
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
        return null;
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
        return null;
    }
}
