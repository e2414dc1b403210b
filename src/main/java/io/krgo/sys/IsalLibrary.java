package io.krgo.sys;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;

/**
 * Binds Intel's ISA-L (Debian's libisal2, {@code libisal.so.2}) to a class of JNA direct-mapped methods.
 * One switch for all its users (gzip decoding and encoding, Adler-32): {@code -Dkrgo.isal=false}.
 * Each caller still self-tests what it binds before trusting it.
 */
public final class IsalLibrary {
    private IsalLibrary() {
    }

    /** Registers {@code lib}'s native methods with ISA-L; false when switched off or not installed. */
    public static boolean register(Class<?> lib) {
        if ("false".equalsIgnoreCase(System.getProperty("krgo.isal", "true"))) {
            return false;
        }
        try {
            Native.register(lib, NativeLibrary.getInstance("libisal.so.2"));
            return true;
        } catch (UnsatisfiedLinkError | NoClassDefFoundError | IllegalArgumentException absent) {
            return false;
        }
    }
}
