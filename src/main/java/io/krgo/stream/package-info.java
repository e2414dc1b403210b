/**
 * Stream plumbing shared by codecs, the registry client and sinks: bulk-transfer interfaces and a read-ahead
 * stream on its own thread. Depends only on {@code error}.
 */
package io.krgo.stream;
