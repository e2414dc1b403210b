package io.krgo.cli;

import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Mixin;

import java.lang.reflect.Field;
import java.lang.reflect.Method;

/**
 * A second thread's share of a short command's start-up, while this one builds picocli's model: the
 * command's annotations read first (parsing them and generating each annotation type's proxy class cost
 * ~40 ms of a hot {@code krgo run}, and the JDK caches both for the model's own reads), then {@code then}
 * (the option-independent part of what follows the parse). Failures are ignored: the real code meets them.
 */
final class ModelWarmUp {
    private ModelWarmUp() {
    }

    static void start(Class<?> command, Runnable then) {
        Thread t = new Thread(() -> {
            try {
                annotations(KrgoCommand.class);
                annotations(command);
            } catch (RuntimeException | LinkageError e) {
                // only a warm-up
            }
            then.run();
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
