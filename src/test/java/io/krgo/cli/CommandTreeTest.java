package io.krgo.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Main builds only the subcommand a command line names: that tree must parse and describe the subcommand
 * exactly as the whole tree does, and Main's list of names must be what the annotations say.
 */
class CommandTreeTest {

    @Test
    void mainsNamesAreTheAnnotatedNamesInHelpOrder() {
        Map<String, CommandLine> all = Main.newCommandLine().getSubcommands();
        List<String> expected = new ArrayList<>();
        for (Main.Subcommand s : Main.SUBCOMMANDS) {
            expected.addAll(s.names());
            CommandLine sub = all.get(s.names().get(0));
            assertThat(sub).as(s.names().get(0)).isNotNull();
            List<String> annotated = new ArrayList<>();
            annotated.add(sub.getCommandName());
            annotated.addAll(List.of(sub.getCommandSpec().aliases()));
            assertThat(annotated).isEqualTo(s.names());
        }
        assertThat(all.keySet()).containsExactlyElementsOf(expected);
    }

    @Test
    void aSubcommandAloneIsDescribedAsInTheWholeTree() {
        Map<String, CommandLine> all = Main.newCommandLine().getSubcommands();
        for (Main.Subcommand s : Main.SUBCOMMANDS) {
            for (String name : s.names()) {
                CommandLine tree = Main.newCommandLine(name);
                boolean whole = name.equals("help") || name.equals("completion");
                assertThat(tree.getSubcommands().keySet()).as(name)
                        .containsExactlyElementsOf(whole ? all.keySet() : s.names());
                CommandLine alone = tree.getSubcommands().get(name);
                CommandLine within = all.get(name);
                assertThat(alone.getUsageMessage(CommandLine.Help.Ansi.OFF)).as(name)
                        .isEqualTo(within.getUsageMessage(CommandLine.Help.Ansi.OFF));
                assertThat(optionNames(alone)).as(name).contains("--debug").isEqualTo(optionNames(within));
            }
        }
    }

    @Test
    void anythingButASubcommandFirstGetsTheWholeTree() {
        int all = Main.newCommandLine().getSubcommands().size();
        for (String first : new String[] {"--debug", "-h", "pul", "@args", "--", "PULL"}) {
            assertThat(Main.newCommandLine(first).getSubcommands()).as(first).hasSize(all);
        }
    }

    private static List<String> optionNames(CommandLine c) {
        List<String> names = new ArrayList<>();
        c.getCommandSpec().options().forEach(o -> names.addAll(List.of(o.names())));
        return names;
    }
}
