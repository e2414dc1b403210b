package io.krgo.layer;

/**
 * Counters of one applied layer (or, summed, of a whole pull).
 *
 * @param entries        tar entries read
 * @param bytes          uncompressed tar bytes read
 * @param devicesSkipped device nodes not created because the process is not root
 * @param xattrsSkipped  security.* / trusted.* / system.* xattrs not set because the process is not root
 * @param aclsUnresolved text ACLs (bsdtar's, GNU tar's) not set because they name a user or group the image
 *                       does not have (their writer's host names), as GNU tar skips what it cannot resolve
 */
public record LayerStats(long entries, long bytes, long devicesSkipped, long xattrsSkipped, long aclsUnresolved) {
    public static final LayerStats ZERO = new LayerStats(0, 0, 0, 0, 0);

    public LayerStats plus(LayerStats o) {
        return new LayerStats(entries + o.entries, bytes + o.bytes, devicesSkipped + o.devicesSkipped,
                xattrsSkipped + o.xattrsSkipped, aclsUnresolved + o.aclsUnresolved);
    }
}
