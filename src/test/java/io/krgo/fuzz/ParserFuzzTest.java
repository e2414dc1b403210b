package io.krgo.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Jazzer fuzz tests of the parsers that read untrusted input. In a normal build they run in regression
 * mode: each seed in {@code src/test/resources/io/krgo/fuzz/ParserFuzzTestInputs/METHOD/} once (plus
 * crashes found earlier, which are kept there), in well under a second. To fuzz for real:
 * {@code JAZZER_FUZZ=1 mvn test -Dtest=ParserFuzzTest#manifest} (one method at a time; {@code maxDuration}
 * bounds each run; raise it with {@code -Djazzer.max_duration=10m}). A crash is written to the inputs
 * directory, so it becomes a regression test once the bug is fixed.
 */
class ParserFuzzTest {
    private static final String[] MEDIA_TYPES = {
        null, "application/vnd.oci.image.manifest.v1+json", "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.docker.distribution.manifest.v1+prettyjws", "application/vnd.oci.image.index.v1+json",
        "application/json", ""};

    @FuzzTest(maxDuration = "20s")
    void reference(FuzzedDataProvider data) {
        ParserChecks.reference(data.consumeRemainingAsString());
    }

    @FuzzTest(maxDuration = "20s")
    void manifest(FuzzedDataProvider data) {
        String type = data.pickValue(MEDIA_TYPES);
        ParserChecks.manifest(data.consumeRemainingAsBytes(), type);
    }

    @FuzzTest(maxDuration = "20s")
    void index(FuzzedDataProvider data) {
        String type = data.pickValue(MEDIA_TYPES);
        ParserChecks.index(data.consumeRemainingAsBytes(), type);
    }

    @FuzzTest(maxDuration = "20s")
    void config(byte[] data) {
        ParserChecks.config(data);
    }

    @FuzzTest(maxDuration = "20s")
    void authChallenge(FuzzedDataProvider data) {
        ParserChecks.challenges(data.consumeRemainingAsString());
    }
}
