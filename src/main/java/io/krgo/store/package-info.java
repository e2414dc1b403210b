/**
 * Content-addressed storage: the local blob store (atomic, verified on read), OCI image layouts and Docker
 * archives.
 */
package io.krgo.store;
