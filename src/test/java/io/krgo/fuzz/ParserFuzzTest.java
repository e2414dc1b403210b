package io.krgo.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Jazzer fuzz tests of the parsers that read untrusted input. In a normal build they run in regression
 * mode: each input in {@code src/test/resources/io/krgo/fuzz/ParserFuzzTestInputs/METHOD/} once (seeds, and
 * crashes found earlier, kept there as regression inputs): a few seconds for all of them.
 * <p>
 * To fuzz for real, one method at a time, for {@code maxDuration} (30 s; edit it for longer runs, or run
 * again: the corpus grows in {@code .cifuzz-corpus/}, which git ignores):
 * <pre>
 * JAZZER_FUZZ=1 mvn test -Dtest='ParserFuzzTest#manifest' '-Djazzer.instrumentation_includes=io.krgo.**:com.fasterxml.jackson.**'
 * </pre>
 * (Instrumenting Jackson too guides the fuzzer through JSON syntax; without it only krgo's classes are
 * instrumented, see {@code junit-platform.properties}.) A finding is written to the inputs directory above,
 * so it becomes a regression test once the bug is fixed.
 */
class ParserFuzzTest {
    private static final String[] MEDIA_TYPES = {
        null, "application/vnd.oci.image.manifest.v1+json", "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.docker.distribution.manifest.v1+prettyjws", "application/vnd.oci.image.index.v1+json",
        "application/json", ""};

    @FuzzTest(maxDuration = "30s")
    void reference(FuzzedDataProvider data) {
        ParserChecks.reference(data.consumeRemainingAsString());
    }

    @FuzzTest(maxDuration = "30s")
    void manifest(FuzzedDataProvider data) {
        String type = data.pickValue(MEDIA_TYPES);
        ParserChecks.manifest(data.consumeRemainingAsBytes(), type);
    }

    @FuzzTest(maxDuration = "30s")
    void index(FuzzedDataProvider data) {
        String type = data.pickValue(MEDIA_TYPES);
        ParserChecks.index(data.consumeRemainingAsBytes(), type);
    }

    @FuzzTest(maxDuration = "30s")
    void config(byte[] data) {
        ParserChecks.config(data);
    }

    @FuzzTest(maxDuration = "30s")
    void authChallenge(FuzzedDataProvider data) {
        ParserChecks.challenges(data.consumeRemainingAsString());
    }

    @FuzzTest(maxDuration = "30s")
    void tar(byte[] data) {
        ParserChecks.tar(data);
    }

    @FuzzTest(maxDuration = "30s")
    void tarChecksummed(byte[] data) {
        ParserChecks.tarChecksummed(data);
    }

    @FuzzTest(maxDuration = "30s")
    void simpleSigning(byte[] data) {
        ParserChecks.simpleSigning(data);
    }

    @FuzzTest(maxDuration = "30s")
    void openPgpMessage(byte[] data) {
        ParserChecks.openPgpMessage(data);
    }

    @FuzzTest(maxDuration = "30s")
    void policy(byte[] data) {
        ParserChecks.policy(data);
    }

    @FuzzTest(maxDuration = "30s")
    void cosignKeyFile(byte[] data) {
        ParserChecks.cosignKeyFile(data);
    }
}
