package io.krgo.sys;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Platform;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A terminal's window size (rows and columns, as {@code stty size} prints them), read and set with the
 * TIOCGWINSZ/TIOCSWINSZ ioctls: Java has no API for either. Where an ioctl fails the size is simply unknown.
 */
public record TerminalSize(int rows, int columns) {
    private static final int O_RDONLY_NOCTTY_NONBLOCK_CLOEXEC = 0400 | 04000 | 02000000;
    /** Linux's major numbers of Unix98 pseudo-terminal slaves ({@code /dev/pts/N}): 136 to 143. */
    private static final long PTS_MAJOR_FIRST = 136;
    private static final long PTS_MAJOR_LAST = 143;

    public TerminalSize {
        if (rows < 0 || rows > 0xffff || columns < 0 || columns > 0xffff) {
            throw new IllegalArgumentException("terminal size " + rows + "x" + columns);
        }
    }

    interface LibC extends Library {
        /** struct winsize: ws_row, ws_col, ws_xpixel, ws_ypixel (unsigned short each). */
        int ioctl(int fd, long request, short[] winsize) throws LastErrorException;

        int open(String path, int flags) throws LastErrorException;

        int close(int fd);
    }

    /** libc and the ioctls' request numbers, loaded on first use (a size as a value needs no JNA). */
    private static final class Holder {
        static final LibC LIBC = Native.load("c", LibC.class);
        /** Linux's generic numbers (x86, arm, riscv, s390); powerpc, mips and sparc use _IOR/_IOW('t', 104/103). */
        static final boolean OLD_STYLE = Platform.isPPC() || Platform.isMIPS() || Platform.isSPARC();
        static final long TIOCGWINSZ = OLD_STYLE ? 0x40087468L : 0x5413;
        static final long TIOCSWINSZ = OLD_STYLE ? 0x80087467L : 0x5414;
    }

    /** The size of the terminal on {@code fd}; empty when it is not a terminal or has no size (0 rows or columns). */
    public static Optional<TerminalSize> of(int fd) {
        short[] ws = new short[4];
        try {
            Holder.LIBC.ioctl(fd, Holder.TIOCGWINSZ, ws);
        } catch (LastErrorException | UnsatisfiedLinkError | NoClassDefFoundError e) {
            return Optional.empty();
        }
        TerminalSize size = new TerminalSize(Short.toUnsignedInt(ws[0]), Short.toUnsignedInt(ws[1]));
        return size.rows() == 0 || size.columns() == 0 ? Optional.empty() : Optional.of(size);
    }

    /**
     * Sets the size of the pseudo-terminal slave that {@code path} leads to (a {@code /proc/PID/fd/N} link of
     * another process): the kernel sends SIGWINCH to that terminal's foreground process group when the size
     * changes, and nothing when it is the same. Only a {@code /dev/pts/N} is touched, checked before and after
     * opening (the link may change in between): false when {@code path} is not one, or it cannot be opened.
     */
    public static boolean setPseudoTerminal(Path path, TerminalSize size) {
        if (!isPseudoTerminalSlave(path)) {
            return false;
        }
        int fd;
        try {
            fd = Holder.LIBC.open(path.toString(), O_RDONLY_NOCTTY_NONBLOCK_CLOEXEC);
        } catch (LastErrorException | UnsatisfiedLinkError | NoClassDefFoundError e) {
            return false;
        }
        try {
            if (!isPseudoTerminalSlave(Path.of("/proc/self/fd/" + fd))) {
                return false;
            }
            Holder.LIBC.ioctl(fd, Holder.TIOCSWINSZ, new short[] {(short) size.rows(), (short) size.columns(), 0, 0});
            return true;
        } catch (LastErrorException e) {
            return false;
        } finally {
            Holder.LIBC.close(fd);
        }
    }

    /** Whether {@code path} (followed) is a character device of a pseudo-terminal slave's major number. */
    static boolean isPseudoTerminalSlave(Path path) {
        try {
            var a = Files.readAttributes(path, "unix:mode,rdev");
            if (((Integer) a.get("mode") & 0170000) != NativeFs.S_IFCHR) {
                return false;
            }
            long rdev = (Long) a.get("rdev");
            long major = ((rdev >>> 8) & 0xfff) | ((rdev >>> 32) & ~0xfffL); // glibc's gnu_dev_major
            return major >= PTS_MAJOR_FIRST && major <= PTS_MAJOR_LAST;
        } catch (IOException | UnsupportedOperationException | ClassCastException e) {
            return false;
        }
    }
}
