package io.krgo.cli;

import picocli.CommandLine;

/** Reads the version from the jar manifest (set by Maven), so it is never out of date. */
final class VersionProvider implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
        String v = Main.class.getPackage().getImplementationVersion();
        return new String[] {"krgo " + (v == null ? "dev" : v)
                + " (Java " + System.getProperty("java.version") + ", " + System.getProperty("os.arch") + ")"};
    }
}
