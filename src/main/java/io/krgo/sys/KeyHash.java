package io.krgo.sys;

import java.nio.charset.StandardCharsets;

/**
 * File names for keys: 64-bit FNV-1a in 16 hex digits. Not a security boundary: the file named so holds its
 * whole key and a reader compares it, so a collision is only a miss. Cheaper at start-up than a
 * {@code MessageDigest}, whose first use loads the security providers (~15-25 ms of a short command).
 */
public final class KeyHash {
    private KeyHash() {
    }

    public static String of(String key) {
        long h = 0xcbf29ce484222325L;
        for (byte b : key.getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xff;
            h *= 0x100000001b3L;
        }
        String hex = Long.toHexString(h);
        return "0".repeat(16 - hex.length()) + hex; // not String.format: its Formatter costs start-up time
    }
}
