package io.krgo.cli;

import java.net.http.HttpClient;

/**
 * Run in a child JVM by {@link ExitTest}: makes an HttpClient (whose selector thread then waits in native
 * code), ends the selectors as {@link Main#main} does before halting, and prints whether they are gone.
 */
final class SelectorEndChild {
    private SelectorEndChild() {
    }

    public static void main(String[] args) throws Exception {
        HttpClient client = HttpClient.newBuilder().build();
        Thread selector = null;
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().startsWith("HttpClient-") && t.getName().endsWith("-SelectorManager")) {
                selector = t;
            }
        }
        if (selector == null) {
            System.out.println("no selector thread");
            System.exit(3);
        }
        Main.endHttpSelectors();
        selector.join(5000);
        System.out.println(selector.isAlive() ? "still running" : "ended");
        System.out.println(client.version()); // the client stays reachable until here, as in a real run
        System.exit(selector.isAlive() ? 1 : 0);
    }
}
