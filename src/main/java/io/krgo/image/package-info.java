/**
 * The image model: descriptors, digests, manifests, indexes, configs, platforms and media types;
 * {@code Image} and {@code Layer}, the one abstraction every source and sink speaks.
 */
package io.krgo.image;
