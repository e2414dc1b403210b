package io.krgo.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link RunCommandLine} reads {@code krgo run}'s common command lines without picocli's model: its options must
 * be picocli's exactly, and every line it takes must give the fields picocli gives; every other line is left
 * to picocli.
 */
class RunCommandLineTest {
    private static CommandLine picocliRun() {
        return Main.newCommandLine("run").getSubcommands().get("run");
    }

    @Test
    void itsOptionsAreExactlyPicocliOptionsButHelp() {
        Map<String, RunCommandLine.Kind> expected = new LinkedHashMap<>();
        for (OptionSpec o : picocliRun().getCommandSpec().options()) {
            if (o.usageHelp()) {
                for (String n : o.names()) {
                    assertThat(RunCommandLine.OPTIONS).as("help is picocli's").doesNotContainKey(n);
                }
                continue;
            }
            RunCommandLine.Kind kind = o.arity().max() == 0 ? RunCommandLine.Kind.SWITCH
                    : o.isMultiValue() ? RunCommandLine.Kind.REPEATABLE : RunCommandLine.Kind.VALUE;
            for (String n : o.names()) {
                expected.put(n, kind);
            }
        }
        assertThat(expected).containsKey("--debug"); // the top level's, inherited
        assertThat(RunCommandLine.OPTIONS).isEqualTo(expected);
    }

    /** Lines both read: the same fields in the command and its mixins. */
    private static final List<List<String>> SAME = List.of(
            List.of("img"),
            List.of(),
            List.of("--rm", "img", "echo", "hi"),
            List.of("-it", "img"),
            List.of("-ti", "--rm", "img", "sh", "-c", "x"),
            List.of("-e", "A=1", "--env", "B=2", "--env=C=3", "-e", "D", "-v", "/a:/b", "--volume=/c:/d:ro", "img"),
            List.of("--name", "x", "-h", "host", "-u", "1000:1000", "-w", "/tmp", "--entrypoint", "", "img", "--", "a"),
            List.of("--pull", "always", "--platform", "linux/arm64", "--creds", "u:p", "--insecure", "--runtime", "crun",
                    "--stop-timeout", "3", "--json", "--json-file", "/tmp/j", "img"),
            List.of("--env-file", "f1", "--env-file=f2", "--network", "none", "--read-only", "--cap-add", "ALL",
                    "--cap-drop", "NET_RAW", "--cap-drop=MKNOD", "--security-opt", "seccomp=unconfined", "img"),
            List.of("--retries", "2", "--timeout", "30s", "--ca-file", "/ca.pem", "--ca-file", "/ca2.pem", "--cert",
                    "/c.pem", "--key", "/k.pem", "--policy", "/p.json", "--registries.d", "/r.d", "img"),
            List.of("-r", "/some/dir", "--rm"),
            List.of("-r", "/dir", "--", "x", "y"),
            List.of("--rm", "--", "img", "--rm"),
            List.of("img", "--rm", "-e", "X", "--", "y"),
            List.of("-i", "-t", "img"),
            List.of("--stop-timeout", "010", "img"),
            List.of("--stop-timeout", "+5", "img"),
            List.of("--name=", "img"),
            List.of("--tty", "-i", "img:1", "a b"),
            List.of("-", "img")); // "-" is a positional parameter for both (here the image, which then fails)

    /** Lines left to picocli (which accepts some and refuses others, with its own messages). */
    private static final List<List<String>> PICOCLI = List.of(
            List.of("--help"),
            List.of("--bogus", "img"),
            List.of("-eX=1", "img"),
            List.of("-e=X", "img"),
            List.of("--rm=true", "img"),
            List.of("-i", "--interactive=", "img"),
            List.of("--name", "a", "--name", "b", "img"),
            List.of("-t", "--tty", "img"),
            List.of("-itt", "img"),
            List.of("-ie", "X", "img"),
            List.of("--stop-timeout", "abc", "img"),
            List.of("--stop-timeout", "-1", "img"),
            List.of("--stop-timeout", "0x10", "img"),
            List.of("-e"),
            List.of("-e", "--rm", "img"),
            List.of("--env-file", "\0", "img"));

    @Test
    void theLinesItReadsGiveWhatPicocliGives() throws Exception {
        for (List<String> line : SAME) {
            RunCommandLine.Parsed fast = RunCommandLine.parse(withRun(line), 1);
            assertThat(fast).as("read without picocli: %s", line).isNotNull();
            assertThat(fast.debug()).isFalse();
            CommandLine run = picocliRun();
            run.getParent().parseArgs(withRun(line));
            assertThat(fields(fast.command())).as("%s", line).isEqualTo(fields(run.getCommand()));
        }
    }

    @Test
    void everythingElseIsLeftToPicocli() {
        for (List<String> line : PICOCLI) {
            assertThat(RunCommandLine.parse(withRun(line), 1)).as("%s", line).isNull();
        }
        // and an interactive run with a value-taking letter last is still picocli's to read, the same way
        CommandLine run = picocliRun();
        run.getParent().parseArgs(withRun(List.of("-ie", "X", "img")));
        assertThat(((RunCommand) run.getCommand()).run.env).containsExactly("X");
    }

    private static String[] withRun(List<String> line) {
        List<String> args = new ArrayList<>();
        args.add("run");
        args.addAll(line);
        return args.toArray(new String[0]);
    }

    /** Every instance field of the command and of its mixins, by name (the mixins' flattened as mixin.field). */
    private static Map<String, Object> fields(Object command) throws IllegalAccessException {
        Map<String, Object> out = new LinkedHashMap<>();
        for (Field f : command.getClass().getDeclaredFields()) {
            if (Modifier.isStatic(f.getModifiers()) || f.getName().equals("container")) {
                continue;
            }
            f.setAccessible(true);
            Object v = f.get(command);
            if (v instanceof RunFlags || v instanceof NetworkFlags || v instanceof TrustFlags) {
                for (Field g : v.getClass().getDeclaredFields()) {
                    if (!Modifier.isStatic(g.getModifiers())) {
                        g.setAccessible(true);
                        out.put(f.getName() + "." + g.getName(), g.get(v));
                    }
                }
            } else {
                out.put(f.getName(), v);
            }
        }
        assertThat(out).containsKeys("run.env", "network.caFiles", "trustFlags.policy", "stopTimeout", "positional");
        return out;
    }
}
