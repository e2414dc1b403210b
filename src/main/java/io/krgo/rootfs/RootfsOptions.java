package io.krgo.rootfs;

import io.krgo.layer.ApplyOptions;

/**
 * @param force       replace a non-empty DIR, and re-pull even when DIR already holds the same manifest
 * @param apply       how layers are applied (privileged or rootless, expansion limit)
 * @param parallelism how many layers download at once
 */
public record RootfsOptions(boolean force, ApplyOptions apply, int parallelism) {
    public RootfsOptions {
        if (parallelism < 1) {
            throw new IllegalArgumentException("parallelism must be at least 1");
        }
    }

    public static RootfsOptions defaults() {
        return new RootfsOptions(false, ApplyOptions.defaults(), 4);
    }

    public RootfsOptions withForce(boolean f) {
        return new RootfsOptions(f, apply, parallelism);
    }

    public RootfsOptions withApply(ApplyOptions a) {
        return new RootfsOptions(force, a, parallelism);
    }
}
