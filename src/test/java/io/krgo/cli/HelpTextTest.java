package io.krgo.cli;

import io.krgo.testing.KrgoCli;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class HelpTextTest {
    @TempDir
    Path tmp;

    @Test
    void theBuildRendersTheHelpThatPicocliPrints() {
        // process-classes renders it; a stale or missing file would make --help differ from picocli's output
        assertThat(HelpText.prerendered()).as("help text rendered by the build (mvn process-classes)")
                .isEqualTo(HelpText.render(CommandLine.Help.Ansi.OFF));
    }

    @Test
    void helpFastPathPrintsExactlyWhatPicocliPrints() {
        KrgoCli cli = KrgoCli.inProcessWithStore(tmp.resolve("cache"));
        String picocli = HelpText.render(CommandLine.Help.Ansi.OFF);
        assertThat(picocli).contains("Usage: krgo").contains("pull").contains("Exit codes");
        for (String flag : new String[] {"--help", "-h"}) {
            KrgoCli.Result r = cli.run(flag);
            assertThat(r.exitCode()).isZero();
            assertThat(r.stdout()).isEqualTo(picocli);
        }
        // anything more than the bare flag still goes through picocli
        KrgoCli.Result sub = cli.run("pull", "--help");
        assertThat(sub.exitCode()).isZero();
        assertThat(sub.stdout()).contains("Usage: krgo pull");
    }

    @Test
    void writesPlainAndStyledVariants() throws Exception {
        HelpText.main(new String[] {tmp.toString()});
        String plain = Files.readString(tmp.resolve(HelpText.PLAIN), StandardCharsets.UTF_8);
        String styled = Files.readString(tmp.resolve(HelpText.ANSI), StandardCharsets.UTF_8);
        assertThat(plain).isEqualTo(HelpText.render(CommandLine.Help.Ansi.OFF)).doesNotContain("\u001b[");
        assertThat(styled).contains("\u001b[").isNotEqualTo(plain);
    }
}
