package io.krgo.layer;

/**
 * Counters of one applied layer (or, summed, of a whole pull).
 *
 * @param entries        tar entries read
 * @param bytes          uncompressed tar bytes read
 * @param devicesSkipped device nodes not created because the process is not root
 * @param xattrsSkipped  security.* / trusted.* / system.* xattrs not set because the process is not root
 */
public record LayerStats(long entries, long bytes, long devicesSkipped, long xattrsSkipped) {
    public static final LayerStats ZERO = new LayerStats(0, 0, 0, 0);

    public LayerStats plus(LayerStats o) {
        return new LayerStats(entries + o.entries, bytes + o.bytes, devicesSkipped + o.devicesSkipped,
                xattrsSkipped + o.xattrsSkipped);
    }
}
