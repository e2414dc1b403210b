package io.krgo.gitlayers;

import io.krgo.layer.LayerWriter;

import java.time.Instant;

/**
 * @param layer   compression, level and threads of the new layer
 * @param created the history/config timestamp; null means now
 */
public record CommitOptions(LayerWriter.Options layer, Instant created) {
    public static CommitOptions defaults() {
        return new CommitOptions(LayerWriter.Options.defaults(), null);
    }
}
