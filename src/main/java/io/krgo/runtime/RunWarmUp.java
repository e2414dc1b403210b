package io.krgo.runtime;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;

import java.io.IOException;
import java.io.OutputStream;
import java.time.Instant;

/**
 * Start-up work of a container's creation that depends on no option, done on a second thread while the
 * command line is read and the options are applied (a hot {@code krgo run} is mostly start-up: class
 * loading and initialisation on one core while the other idles). Only class loading and initialisation:
 * nothing is written, nothing started, and a failure here changes nothing (the real code meets it again).
 */
public final class RunWarmUp {
    private RunWarmUp() {
    }

    /** Starts the warm-up on a daemon thread. */
    public static void start() {
        Thread t = new Thread(RunWarmUp::run, "krgo-warm-up");
        t.setDaemon(true);
        t.start();
    }

    static void run() {
        try {
            ClassLoader loader = RunWarmUp.class.getClassLoader();
            for (String name : new String[] {"io.krgo.Krgo", "io.krgo.ImageCache", "io.krgo.RunRequest",
                    "io.krgo.registry.RegistryOptions", "io.krgo.registry.CredentialResolver",
                    "io.krgo.registry.RegistriesConf", "io.krgo.trust.TrustFiles", "java.lang.ProcessImpl",
                    "java.lang.ProcessHandleImpl"}) {
                Class.forName(name, true, loader);
            }
            new Containers(StateDir.fromEnvironment(java.util.Map.of()), null);
            new BundleConfigCache(java.nio.file.Path.of("/"));
            Overlay.options(java.nio.file.Path.of("/a"), java.nio.file.Path.of("/b"), java.nio.file.Path.of("/c"));
            try (JsonGenerator g = new JsonFactory().createGenerator(OutputStream.nullOutputStream())) {
                g.writeStartObject();
                g.writeStringField("created", Instant.now().toString());
                g.writeBooleanField("b", true);
                g.writeNumberField("n", 1L);
                g.writeEndObject();
            }
        } catch (ClassNotFoundException | IOException | RuntimeException | LinkageError e) {
            // only a warm-up
        }
    }
}
