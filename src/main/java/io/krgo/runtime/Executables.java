package io.krgo.runtime;

import io.krgo.error.ExecException;
import io.krgo.layer.RootfsFiles;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Optional;
import java.util.Set;

/**
 * Docker's 126/127 decided before anything starts: argv[0] resolved against the container's PATH inside the
 * rootfs (through {@link RootfsFiles}, so links resolve inside it), not guessed from the runtime's error text.
 * A lookup this process may not make (rootless: krgo looks from outside the user namespace, where a 0700
 * directory of a subordinate id cannot be searched) gives no verdict: the runtime, inside, decides.
 */
final class Executables {
    private Executables() {
    }

    /** @throws ExecException 127 when argv[0] does not exist, 126 when it is not an executable file */
    static void check(RootfsFiles rootfs, ContainerSpec spec) {
        String argv0 = spec.args().get(0);
        if (argv0.contains("/")) {
            String abs = argv0.startsWith("/") ? argv0 : spec.cwd() + "/" + argv0;
            RootfsFiles.Lookup lookup = rootfs.lookup(abs);
            if (lookup.denied()) {
                return;
            }
            Optional<Path> file = lookup.file();
            if (file.isEmpty()) {
                if (rootfs.isDirectory(abs)) {
                    throw new ExecException("exec: \"" + argv0 + "\" is a directory", false);
                }
                throw new ExecException("exec: \"" + argv0 + "\": no such file or directory", true);
            }
            if (!executable(file.get())) {
                throw new ExecException("exec: \"" + argv0 + "\": permission denied", false);
            }
            return;
        }
        String path = spec.envValue("PATH");
        boolean sawNonExecutable = false;
        boolean denied = false;
        for (String dir : (path == null ? "" : path).split(":")) {
            if (dir.isEmpty()) {
                continue;
            }
            RootfsFiles.Lookup lookup = rootfs.lookup(dir + "/" + argv0);
            denied |= lookup.denied();
            Optional<Path> file = lookup.file();
            if (file.isPresent()) {
                if (executable(file.get())) {
                    return;
                }
                sawNonExecutable = true;
            }
        }
        if (denied) {
            return; // it may be in the directory krgo could not search
        }
        if (sawNonExecutable) {
            throw new ExecException("exec: \"" + argv0 + "\": permission denied", false);
        }
        throw new ExecException("exec: \"" + argv0 + "\": executable file not found in $PATH", true);
    }

    private static boolean executable(Path file) {
        try {
            Set<PosixFilePermission> p = Files.getPosixFilePermissions(file, java.nio.file.LinkOption.NOFOLLOW_LINKS);
            return p.contains(PosixFilePermission.OWNER_EXECUTE) || p.contains(PosixFilePermission.GROUP_EXECUTE)
                    || p.contains(PosixFilePermission.OTHERS_EXECUTE);
        } catch (IOException e) {
            return false;
        }
    }
}
