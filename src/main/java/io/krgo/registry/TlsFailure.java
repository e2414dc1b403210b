package io.krgo.registry;

import javax.net.ssl.SSLHandshakeException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/** Why a TLS connection failed, in one line: expired, unknown CA, wrong host name, and where a CA would go. */
final class TlsFailure {
    private TlsFailure() {
    }

    static final String CLIENT_CERTIFICATE = "the registry refused krgo's client certificate, or wants one"
            + " (certs.d NAME.cert/NAME.key, or --cert/--key)";

    /** A server certificate krgo refused, with the reason already in user terms. */
    static final class Untrusted extends CertificateException {
        Untrusted(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** {@code host:443} as {@code host}, the way references and certs.d directories write it. */
    static String shownAuthority(String authority) {
        return authority.endsWith(":443") ? authority.substring(0, authority.length() - 4) : authority;
    }

    static Untrusted untrusted(String authority, X509Certificate[] chain, Exception e, String caHint) {
        String hint = caHint == null ? "" : "; krgo trusts CAs for it from " + caHint + " or --ca-file";
        String reason;
        if (e instanceof CertificateExpiredException) {
            reason = "the certificate expired on " + date(chain[0]);
        } else if (e instanceof CertificateNotYetValidException) {
            reason = "the certificate is not valid before " + DateTimeFormatter.ISO_LOCAL_DATE
                    .format(chain[0].getNotBefore().toInstant().atOffset(ZoneOffset.UTC));
        } else if (isHostMismatch(e)) {
            reason = "the certificate is for " + names(chain[0]) + ", not " + hostOf(shownAuthority(authority));
        } else {
            reason = "the certificate is not signed by a trusted CA (issuer: "
                    + chain[chain.length - 1].getIssuerX500Principal().getName() + ")";
        }
        return new Untrusted("certificate of " + shownAuthority(authority) + " refused: " + reason + hint, e);
    }

    private static String date(X509Certificate c) {
        return DateTimeFormatter.ISO_LOCAL_DATE.format(c.getNotAfter().toInstant().atOffset(ZoneOffset.UTC));
    }

    private static boolean isHostMismatch(Throwable e) {
        String m = String.valueOf(e.getMessage());
        return m.contains("No subject alternative") || m.contains("No name matching") || m.contains("doesn't match")
                || m.contains("does not match");
    }

    private static String hostOf(String authority) {
        String h = TlsConfig.hostOnly(authority);
        return h.startsWith("[") ? h.substring(1, h.length() - 1) : h;
    }

    /** The certificate's subject alternative names, else its subject. */
    private static String names(X509Certificate c) {
        List<String> names = new ArrayList<>();
        try {
            Collection<List<?>> sans = c.getSubjectAlternativeNames();
            if (sans != null) {
                for (List<?> san : sans) {
                    names.add(san.get(1).toString());
                }
            }
        } catch (CertificateParsingException ignored) {
            // fall back to the subject
        }
        return names.isEmpty() ? c.getSubjectX500Principal().getName() : String.join(", ", names);
    }

    /**
     * True when the server answered the TLS hello with something that is not TLS, i.e. it speaks plain HTTP.
     * The JDK says so only in its message ("Unrecognized SSL message, plaintext connection?", JDK 8 to 25).
     */
    static boolean isPlaintextPeer(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof javax.net.ssl.SSLException && String.valueOf(t.getMessage()).contains("plaintext connection")) {
                return true;
            }
        }
        return false;
    }

    /** The reason a TLS exchange failed, for "TLS failure talking to HOST: ...". */
    static String problem(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof Untrusted u) {
                return u.getMessage();
            }
        }
        if (isPlaintextPeer(e)) {
            return "it answers in plain HTTP, not HTTPS; krgo talks plain HTTP only to loopback addresses and to"
                    + " registries marked insecure (--insecure, or insecure = true in registries.conf)";
        }
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof CertificateExpiredException) {
                return "the certificate has expired";
            }
            if (t instanceof CertificateNotYetValidException) {
                return "the certificate is not yet valid";
            }
            String m = String.valueOf(t.getMessage());
            if (m.contains("PKIX path building failed") || m.contains("unable to find valid certification path")) {
                return "the certificate is not signed by a trusted authority (self-signed or unknown CA)";
            }
            if (isHostMismatch(t)) {
                return "the certificate does not match the host name";
            }
            if (m.contains("bad_certificate") || m.contains("certificate_required")) {
                return CLIENT_CERTIFICATE;
            }
            if (t instanceof SSLHandshakeException && t.getCause() == null) {
                return firstLine(m);
            }
        }
        return firstLine(String.valueOf(e.getMessage()));
    }

    private static String firstLine(String s) {
        int nl = s.indexOf('\n');
        String line = nl < 0 ? s : s.substring(0, nl);
        return line.length() > 300 ? line.substring(0, 300) + "..." : line;
    }
}
