package io.krgo.rootfs;

import io.krgo.image.Digest;

import java.util.List;

/**
 * @param manifestDigest the digest of the image that DIR now holds
 * @param upToDate       DIR already held this manifest: nothing was done
 * @param layers         layers applied
 * @param bytes          uncompressed tar bytes applied
 * @param devicesSkipped device nodes not created (not root)
 * @param warnings       one-line warnings for the user
 */
public record PullResult(Digest manifestDigest, boolean upToDate, int layers, long bytes, long devicesSkipped,
                         List<String> warnings) {
    public PullResult {
        warnings = List.copyOf(warnings);
    }
}
