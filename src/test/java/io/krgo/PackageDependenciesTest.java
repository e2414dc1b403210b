package io.krgo;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The package order the README's architecture section states is the rule, checked here (go-containerregistry's
 * depcheck, in plain Java): a package imports only packages on its own level or below, packages form no
 * cycle, every package is placed in the order and has a package-info.java. Reads the sources: imports and
 * fully qualified names {@code io.krgo.pkg.Type} in code.
 */
class PackageDependenciesTest {
    private static final Path SOURCES = Path.of("src/main/java/io/krgo");
    private static final String ROOT = "io.krgo";
    private static final Pattern STRING = Pattern.compile("\"(?:[^\"\\\\]|\\\\.)*\"");
    private static final Pattern REFERENCE = Pattern.compile("\\bio\\.krgo\\.(?:([a-z][a-z0-9]*)\\.)?[A-Z]");

    @Test
    void noPackageImportsOneAboveIt() throws IOException {
        Map<String, Integer> level = readmeOrder();
        Map<String, Set<String>> deps = dependencies();
        List<String> violations = new ArrayList<>();
        deps.forEach((pkg, targets) -> targets.forEach(t -> {
            if (level.get(t) < level.get(pkg)) {
                violations.add(pkg + " -> " + t);
            }
        }));
        assertThat(violations).as("imports of a package above (README's order: " + level + ")").isEmpty();
    }

    @Test
    void everyPackageIsInTheReadmeOrderAndHasAPackageInfo() throws IOException {
        Map<String, Integer> level = readmeOrder();
        Set<String> packages = dependencies().keySet();
        assertThat(level.keySet()).as("the README's order names exactly the packages")
                .containsExactlyInAnyOrderElementsOf(packages);
        for (String pkg : packages) {
            Path info = dirOf(pkg).resolve("package-info.java");
            assertThat(info).as(pkg).exists();
            assertThat(Files.readString(info)).as(pkg + "'s description").contains("package " + pkg + ";")
                    .contains("/**");
        }
    }

    @Test
    void packagesFormNoCycle() throws IOException {
        Map<String, Set<String>> deps = dependencies();
        Map<String, Integer> state = new HashMap<>(); // 1 visiting, 2 done
        List<String> path = new ArrayList<>();
        for (String pkg : deps.keySet()) {
            List<String> cycle = cycleFrom(pkg, deps, state, path);
            assertThat(cycle).as("a cycle of package imports").isNull();
        }
    }

    private static List<String> cycleFrom(String pkg, Map<String, Set<String>> deps, Map<String, Integer> state,
                                          List<String> path) {
        Integer s = state.get(pkg);
        if (s != null && s == 2) {
            return null;
        }
        if (s != null) {
            List<String> cycle = new ArrayList<>(path.subList(path.indexOf(pkg), path.size()));
            cycle.add(pkg);
            return cycle;
        }
        state.put(pkg, 1);
        path.add(pkg);
        for (String t : deps.getOrDefault(pkg, Set.of())) {
            List<String> c = cycleFrom(t, deps, state, path);
            if (c != null) {
                return c;
            }
        }
        path.remove(path.size() - 1);
        state.put(pkg, 2);
        return null;
    }

    /** Package -> the other io.krgo packages its main sources refer to. */
    private static Map<String, Set<String>> dependencies() throws IOException {
        Map<String, Set<String>> deps = new TreeMap<>();
        try (Stream<Path> files = Files.walk(SOURCES)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                Path rel = SOURCES.relativize(f.getParent());
                String pkg = rel.toString().isEmpty() ? ROOT : ROOT + "." + rel.toString().replace('/', '.');
                Set<String> targets = deps.computeIfAbsent(pkg, k -> new TreeSet<>());
                for (String line : Files.readAllLines(f)) {
                    String code = line.strip();
                    if (code.startsWith("*") || code.startsWith("/*") || code.startsWith("//")) {
                        continue; // documentation may name any package
                    }
                    // a class name in a string is no import (NamespacedUnpack starts the CLI's main class in a child JVM)
                    Matcher m = REFERENCE.matcher(STRING.matcher(code).replaceAll("\"\""));
                    while (m.find()) {
                        String target = m.group(1) == null ? ROOT : ROOT + "." + m.group(1);
                        if (!target.equals(pkg)) {
                            targets.add(target);
                        }
                    }
                }
            }
        }
        // Only the main sources' own packages: a name in a string (the build's training class) is no import.
        deps.values().forEach(targets -> targets.retainAll(deps.keySet()));
        return deps;
    }

    /**
     * The README line {@code `cli` → `io.krgo` → ... → `error`}: levels top to bottom, packages of one level
     * separated by commas.
     */
    private static Map<String, Integer> readmeOrder() throws IOException {
        String line = Files.readAllLines(Path.of("README.md")).stream().filter(l -> l.startsWith("`cli` → "))
                .findFirst().orElseThrow(() -> new AssertionError("README.md has no line starting \"`cli` → \""));
        Map<String, Integer> level = new HashMap<>();
        String[] levels = line.split("→");
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < levels.length; i++) {
            for (String name : levels[i].split(",")) {
                String n = name.strip().replace("`", "");
                String pkg = n.equals(ROOT) ? ROOT : ROOT + "." + n;
                assertThat(seen.add(pkg)).as(pkg + " appears once in the README's order").isTrue();
                level.put(pkg, i);
            }
        }
        return level;
    }

    private static Path dirOf(String pkg) {
        return pkg.equals(ROOT) ? SOURCES : SOURCES.resolve(pkg.substring(ROOT.length() + 1).replace('.', '/'));
    }
}
