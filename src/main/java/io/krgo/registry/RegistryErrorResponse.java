package io.krgo.registry;

import java.util.List;
import java.util.Set;

/**
 * The cause of a {@link io.krgo.error.RegistryException} or {@link io.krgo.error.AuthException} that a registry's
 * answer made: its HTTP status and its structured errors ({@code errors[]} of the distribution spec), so a caller
 * tells {@code NAME_UNKNOWN} from {@code MANIFEST_UNKNOWN} without reading messages.
 */
public final class RegistryErrorResponse extends Exception {
    /** Statuses a later try may not get again: timeouts, rate limits, server trouble. */
    static final Set<Integer> RETRY_STATUSES = Set.of(408, 429, 500, 502, 503, 504);

    private final int status;
    private final transient List<RegistryError> errors;

    RegistryErrorResponse(int status, List<RegistryError> errors) {
        super("HTTP " + status + (errors.isEmpty() ? "" : " " + errors), null, false, false);
        this.status = status;
        this.errors = List.copyOf(errors);
    }

    public int status() {
        return status;
    }

    public List<RegistryError> errors() {
        return errors;
    }

    /** True when the first error has {@code code} (in any case). */
    public boolean hasCode(String code) {
        return !errors.isEmpty() && errors.get(0).code().equalsIgnoreCase(code);
    }

    /** True for a status worth trying again (a whole upload may be restarted). */
    public boolean retryable() {
        return RETRY_STATUSES.contains(status);
    }
}
