package io.krgo.layer;

/**
 * How layers are applied.
 *
 * @param privileged       true when running as root: owners, devices and security.* xattrs are applied
 *                         for real; false (rootless): files are owned by the caller and the image's owner
 *                         is recorded in the {@code user.rootlesscontainers} xattr
 * @param maxExpandedBytes the most uncompressed tar bytes all layers together may expand to
 */
public record ApplyOptions(boolean privileged, long maxExpandedBytes) {
    /** 256 GiB: far beyond real images, small enough to stop a decompression bomb before the disk fills. */
    public static final long DEFAULT_MAX_EXPANDED_BYTES = 256L << 30;

    public ApplyOptions {
        if (maxExpandedBytes <= 0) {
            throw new IllegalArgumentException("maxExpandedBytes must be positive");
        }
    }

    /** Privileged when the process runs as root, with the default expansion limit. */
    public static ApplyOptions defaults() {
        return new ApplyOptions(isRoot(), DEFAULT_MAX_EXPANDED_BYTES);
    }

    public ApplyOptions withMaxExpandedBytes(long max) {
        return new ApplyOptions(privileged, max);
    }

    /** The effective uid is 0 (the owner of /proc/self is the process's effective uid). */
    public static boolean isRoot() {
        try {
            Object uid = java.nio.file.Files.getAttribute(java.nio.file.Path.of("/proc/self"), "unix:uid");
            return uid instanceof Integer i && i == 0;
        } catch (java.io.IOException | UnsupportedOperationException e) {
            return "root".equals(System.getProperty("user.name"));
        }
    }
}
