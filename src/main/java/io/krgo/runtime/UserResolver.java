package io.krgo.runtime;

import io.krgo.error.NotFoundException;
import io.krgo.error.UsageException;
import io.krgo.layer.RootfsFiles;

import java.util.ArrayList;
import java.util.List;

/**
 * Resolves a user spec in every form docker accepts ({@code name}, {@code uid}, {@code name:group},
 * {@code uid:gid}, {@code uid:group}, {@code name:gid}; empty = root) against the rootfs's OWN
 * {@code /etc/passwd} and {@code /etc/group}, read through {@link RootfsFiles}. The rules are runc's
 * ({@code libcontainer/user.GetExecUser}), which docker and umoci use: a name must exist; a number need
 * not (then the group is 0 unless given); supplementary groups only when the group is implicit.
 */
final class UserResolver {
    private static final long MAX_ID = 0xFFFF_FFFEL; // (uid_t) -1 is "no id"

    private final RootfsFiles files;

    UserResolver(RootfsFiles files) {
        this.files = files;
    }

    private record PasswdEntry(String name, long uid, long gid, String home) {
    }

    ContainerUser resolve(String spec) {
        String s = spec == null ? "" : spec.strip();
        String userPart = s;
        String groupPart = null;
        int colon = s.indexOf(':');
        if (colon >= 0) {
            userPart = s.substring(0, colon);
            groupPart = s.substring(colon + 1);
            if (groupPart.isEmpty()) {
                throw new UsageException("user '" + s + "': empty group after ':'");
            }
        }
        if (userPart.isEmpty()) {
            if (groupPart != null) {
                throw new UsageException("user '" + s + "': empty user before ':'");
            }
            userPart = "0";
        }
        final String wanted = userPart;
        Long numericUser = number(wanted);
        PasswdEntry[] found = new PasswdEntry[1];
        files.scanLines("/etc/passwd", line -> {
            PasswdEntry e = passwd(line);
            if (e != null && (e.name().equals(wanted) || (numericUser != null && e.uid() == numericUser))) {
                found[0] = e;
                return true;
            }
            return false;
        });
        long uid;
        long gid = 0;
        String name = null;
        String home = null;
        if (found[0] != null) {
            uid = found[0].uid();
            gid = found[0].gid();
            name = found[0].name();
            home = found[0].home();
        } else if (numericUser != null) {
            uid = numericUser;
        } else {
            throw new NotFoundException("user '" + wanted + "' not found in /etc/passwd of " + files.dir());
        }
        List<Long> additional = new ArrayList<>();
        if (groupPart != null) {
            gid = group(groupPart);
        } else if (name != null) {
            String member = name;
            files.scanLines("/etc/group", line -> {
                String[] f = line.split(":", -1);
                if (f.length >= 4 && !line.startsWith("#")) {
                    Long g = number(f[2]);
                    if (g != null && List.of(f[3].split(",")).contains(member) && !additional.contains(g)) {
                        additional.add(g);
                    }
                }
                return false;
            });
        }
        return new ContainerUser(uid, gid, additional, name, home);
    }

    private long group(String spec) {
        Long numeric = number(spec);
        long[] found = {-1};
        files.scanLines("/etc/group", line -> {
            String[] f = line.split(":", -1);
            if (f.length >= 3 && !line.startsWith("#")) {
                Long g = number(f[2]);
                if (g != null && (f[0].equals(spec) || g.equals(numeric))) {
                    found[0] = g;
                    return true;
                }
            }
            return false;
        });
        if (found[0] >= 0) {
            return found[0];
        }
        if (numeric != null) {
            return numeric;
        }
        throw new NotFoundException("group '" + spec + "' not found in /etc/group of " + files.dir());
    }

    /** {@code name:x:uid:gid:gecos:home:shell}; null for comments and malformed lines. */
    private static PasswdEntry passwd(String line) {
        if (line.isEmpty() || line.startsWith("#")) {
            return null;
        }
        String[] f = line.split(":", -1);
        if (f.length < 4) {
            return null;
        }
        Long uid = number(f[2]);
        Long gid = number(f[3]);
        if (uid == null || gid == null) {
            return null;
        }
        return new PasswdEntry(f[0], uid, gid, f.length > 5 && !f[5].isEmpty() ? f[5] : null);
    }

    /** A decimal id in 0..2^32-2, or null. */
    static Long number(String s) {
        if (s.isEmpty() || s.length() > 10) {
            return null;
        }
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '9') {
                return null;
            }
        }
        long v = Long.parseLong(s);
        return v <= MAX_ID ? v : null;
    }
}
