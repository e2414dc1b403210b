package io.krgo.layer;

/** What applying one layer did, and its counters. */
public record LayerResult(AppliedChanges changes, LayerStats stats) {
}
