package io.krgo;

import io.krgo.error.UsageException;
import io.krgo.image.Platform;
import io.krgo.reference.Reference;
import io.krgo.registry.RegistryOptions;
import io.krgo.runtime.RunOptions;

import java.nio.file.Path;

/**
 * What {@link Krgo#createContainer} starts: an image (pulled and unpacked once into the state directory,
 * each container on its own overlay) or a rootfs directory run in place.
 *
 * @param image    the image, or null with {@code rootfs}
 * @param rootfs   a pulled rootfs to run in place ({@code -r DIR}), or null
 * @param platform the platform to pull
 * @param pull     when to pull the image
 * @param registry registry options for the pull
 * @param options  the container's process and confinement
 * @param runtime  runc, crun or a path; null: runc, then crun, on the PATH
 */
public record RunRequest(Reference image, Path rootfs, Platform platform, PullPolicy pull, RegistryOptions registry,
                         RunOptions options, String runtime) {
    /** docker's {@code --pull}: missing (pull when the image is not unpacked yet; no request otherwise), always, never. */
    public enum PullPolicy { MISSING, ALWAYS, NEVER }

    public RunRequest {
        if ((image == null) == (rootfs == null)) {
            throw new UsageException("give an image or -r DIR, not both and not neither");
        }
    }
}
