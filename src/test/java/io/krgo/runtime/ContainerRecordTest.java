package io.krgo.runtime;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** container.json is written by Jackson's streaming generator and read by data binding: both sides must agree. */
class ContainerRecordTest {
    @TempDir
    Path tmp;

    @Test
    void whatIsWrittenReadsBackEqualNullsAndEscapesIncluded() throws Exception {
        ContainerRecord inPlace = new ContainerRecord("krgo-0a1b2c3d", "/home/u/my \"dir\"\n", null, "/home/u/dir", false,
                "SIGQUIT", "/usr/sbin/runc", "2026-12-07T12:00:00.123Z", 4242);
        inPlace.write(tmp);
        assertThat(ContainerRecord.read(tmp)).contains(inPlace);
        ContainerRecord overlay = new ContainerRecord("web", "registry.example/app:1", "/s/images/ab/rootfs",
                "/s/containers/web/rootfs", true, "SIGTERM", "/usr/bin/crun", "2026-12-07T12:00:01Z", Long.MAX_VALUE);
        overlay.write(tmp);
        assertThat(ContainerRecord.read(tmp)).contains(overlay);
    }
}
