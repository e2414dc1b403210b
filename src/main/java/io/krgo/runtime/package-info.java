/**
 * Running what was pulled: the image config recorded beside a rootfs turned into runtime configurations
 * (an OCI runtime-spec {@code config.json} for runc and crun, a systemd-nspawn {@code .nspawn} settings
 * file, an LXC container config) by the image-spec's conversion rules, with the image's {@code User}
 * resolved in the rootfs's own {@code /etc/passwd} and {@code /etc/group} read inside the rootfs as if it
 * were {@code /} (never on the host). Depends on {@code rootfs}, {@code store}, {@code layer} and
 * {@code image}; nothing below depends on it.
 */
package io.krgo.runtime;
