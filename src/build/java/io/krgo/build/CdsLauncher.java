package io.krgo.build;

import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;

/**
 * Starts {@link CdsTraining} for the build, run by the JDK's source-file launcher
 * ({@code java -XX:ArchiveClassesAtExit=krgo.jsa -cp krgo.jar CdsLauncher.java BUILD_CLASSES}) so that the class
 * path the archive records is the jar's alone, as the launcher later runs it: a second class-path entry for
 * the training classes made the JVM refuse the archive at run time (a class-path mismatch, which the
 * launcher's {@code -Xlog:cds=off} hides: start-up 0.1 s -> 0.3 s), and a directory there stops the dump.
 * The training classes load in a child class loader from {@code BUILD_CLASSES}; the archive keeps krgo's
 * classes they use, not them. Uses only the JDK: this file is compiled in memory by the launcher.
 */
public final class CdsLauncher {
    private CdsLauncher() {
    }

    public static void main(String[] args) throws Exception {
        URL classes = Path.of(args[0]).toUri().toURL();
        try (URLClassLoader training = new URLClassLoader(new URL[] {classes}, ClassLoader.getSystemClassLoader())) {
            training.loadClass("io.krgo.build.CdsTraining").getMethod("main", String[].class)
                    .invoke(null, (Object) new String[0]);
        }
    }
}
