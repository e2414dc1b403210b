/**
 * Image references ({@code registry/repository:tag@digest}): parsing and Docker-compatible normalisation.
 * Depends only on {@code error}.
 */
package io.krgo.reference;
