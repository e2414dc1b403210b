package io.krgo.cli;

import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Mixin;

import java.lang.reflect.Field;
import java.lang.reflect.Method;

/**
 * A second thread's share of a short command's start-up, while the main thread builds picocli's model:
 * first {@code then} (the option-independent part of what follows the parse: it must be done before the
 * parse ends, or the two threads contend for it), then the subcommand's annotations, which the main thread
 * reaches last (it builds the top-level command's model first): parsing them and generating each
 * annotation type's proxy class are most of the model's cost, and the JDK caches both for the model's own
 * reads. Failures are ignored: the real code meets them.
 */
final class ModelWarmUp {
    private ModelWarmUp() {
    }

    static void start(Class<?> command, Runnable then) {
        Thread t = new Thread(() -> {
            then.run();
            try {
                annotations(command);
            } catch (RuntimeException | LinkageError e) {
                // only a warm-up
            }
        }, "krgo-warm-up");
        t.setDaemon(true);
        t.start();
    }

    private static void annotations(Class<?> c) {
        c.getAnnotations();
        for (Field f : c.getDeclaredFields()) {
            f.getAnnotations();
            f.getGenericType();
            if (f.isAnnotationPresent(Mixin.class) || f.isAnnotationPresent(ArgGroup.class)) {
                annotations(f.getType());
            }
        }
        for (Method m : c.getDeclaredMethods()) {
            m.getAnnotations();
        }
    }
}
