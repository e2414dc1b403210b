package io.krgo.runtime;

import com.fasterxml.jackson.databind.node.ObjectNode;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;

/**
 * The seccomp section for a container's options, converted on a thread of its own while the container's
 * image is pulled and unpacked (reading and converting containers' 40 KiB profile is ~20-40 ms that a
 * first run would otherwise add after the pull). A failure here is met again, and reported, by the
 * conversion that then runs where it always does.
 */
final class SeccompPreload {
    private final Path file;
    private final List<String> caps;
    private final FutureTask<ObjectNode> task;

    private SeccompPreload(Path file, List<String> caps) {
        this.file = file;
        this.caps = caps;
        this.task = new FutureTask<>(() -> SeccompProfile.load(file, caps, RuntimeConfigs.kernelRelease()));
    }

    /** Starts converting the profile {@code options} name; null for {@code seccomp=unconfined}. */
    static SeccompPreload start(RunOptions options) {
        if ("unconfined".equals(options.seccomp())) {
            return null;
        }
        SeccompPreload p = new SeccompPreload(RuntimeConfigs.seccompFile(options),
                Capabilities.effective(options.capAdd(), options.capDrop()));
        Thread t = new Thread(p.task, "krgo-seccomp");
        t.setDaemon(true);
        t.start();
        return p;
    }

    /** The section if it was converted for {@code profile} and {@code caps}, else null. */
    ObjectNode get(Path profile, List<String> effectiveCaps) {
        if (!file.equals(profile) || !caps.equals(effectiveCaps)) {
            return null;
        }
        try {
            return task.get();
        } catch (ExecutionException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }
}
