/**
 * The typed exceptions every package throws ({@code KrgoException} and its kinds); the CLI maps each kind
 * to one exit code. Depends on nothing.
 */
package io.krgo.error;
