package io.krgo.cli;

import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;

/**
 * Where the build starts its class-data-sharing training (src/build/java, not in this jar), with
 * {@code -Dkrgo.cds.training=BUILD_CLASSES}: through this jar's own main class, so the archive records the jar's
 * class path alone, as the launcher runs it. A second class-path entry for the training made the JVM refuse the
 * archive at run time (a class-path mismatch the launcher's {@code -Xlog:cds=off} hides: start-up 0.1 s ->
 * 0.3 s), and a directory there stops the dump; the training's classes load in a child class loader instead.
 */
final class CdsTrainingStart {
    static final String PROPERTY = "krgo.cds.training";

    private CdsTrainingStart() {
    }

    static void run(String classes) {
        try (URLClassLoader training = new URLClassLoader(new URL[] {Path.of(classes).toUri().toURL()},
                CdsTrainingStart.class.getClassLoader())) {
            training.loadClass("io.krgo.build.CdsTraining").getMethod("main", String[].class)
                    .invoke(null, (Object) new String[0]);
        } catch (ReflectiveOperationException | java.io.IOException e) {
            throw new IllegalStateException("cannot run the CDS training from " + classes, e);
        }
    }
}
