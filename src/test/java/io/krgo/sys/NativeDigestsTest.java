package io.krgo.sys;

import io.krgo.image.Digest;

import org.junit.jupiter.api.Test;

import java.security.MessageDigest;
import java.security.Provider;
import java.security.Security;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

class NativeDigestsTest {

    /** libcrypto is on every machine krgo's CI runs on (libssl3); where it is missing the JDK's engine answers. */
    @Test
    void libcryptoIsFoundOnThisMachine() {
        assertThat(NativeDigests.available()).isTrue();
    }

    /** Direct buffers (slices at an offset, a read-only view) go to libcrypto in place; heap ones as before. */
    @Test
    void directBuffersHashLikeArrays() throws Exception {
        Random random = new Random(7);
        byte[] data = new byte[200_000];
        random.nextBytes(data);
        java.nio.ByteBuffer direct = java.nio.ByteBuffer.allocateDirect(data.length).put(data).flip();
        for (MessageDigest ours : new MessageDigest[] {new NativeDigests.Sha1(), NativeDigests.newDigest("SHA-1"),
                NativeDigests.newDigest("SHA-256")}) {
            MessageDigest jdk = MessageDigest.getInstance(ours.getAlgorithm(), "SUN");
            jdk.update(data, 11, 150_000);
            ours.update(direct.slice(11, 100));              // small: a lazy engine still buffers it
            ours.update(direct.slice(111, 99_900).asReadOnlyBuffer());
            java.nio.ByteBuffer rest = direct.duplicate().position(100_011).limit(150_011);
            ours.update(rest);
            assertThat(rest.hasRemaining()).as("consumed").isFalse();
            assertThat(ours.digest()).as(ours.getAlgorithm()).isEqualTo(jdk.digest());
            ours.update(java.nio.ByteBuffer.wrap(data, 5, 10)); // heap
            jdk.update(data, 5, 10);
            assertThat(ours.digest()).isEqualTo(jdk.digest());
        }
    }

    @Test
    void agreesWithTheJdkForEveryAlgorithmSizeAndOffset() throws Exception {
        Random random = new Random(42);
        for (String alg : new String[] {"SHA-256", "SHA-512", "SHA-1"}) {
            for (int size : new int[] {0, 1, 55, 56, 64, 1000, 300_000, 1 << 20}) {
                byte[] data = new byte[size + 7];
                random.nextBytes(data);
                MessageDigest jdk = MessageDigest.getInstance(alg, "SUN");
                MessageDigest ours = newEngine(alg);
                jdk.update(data, 3, size);
                // in uneven pieces and one single byte, as streams feed it
                int pos = 3;
                int end = 3 + size;
                if (pos < end) {
                    ours.update(data[pos++]);
                }
                while (pos < end) {
                    int n = Math.min(end - pos, 1 + random.nextInt(70_000));
                    ours.update(data, pos, n);
                    pos += n;
                }
                assertThat(ours.digest()).as(alg + " of " + size + " bytes").isEqualTo(jdk.digest());
                // digest() resets: the next use starts fresh
                ours.update(data, 0, 5);
                jdk.update(data, 0, 5);
                assertThat(ours.digest()).as(alg + " after reset").isEqualTo(jdk.digest());
            }
        }
    }

    @Test
    void theLazyDigestAgreesWithTheJdkAroundItsThreshold() throws Exception {
        Random random = new Random(7);
        int t = NativeDigests.Engine.NATIVE_FROM;
        for (String alg : new String[] {"SHA-256", "SHA-512", "SHA-1"}) {
            for (int size : new int[] {0, 1, 100, t - 1, t, t + 1, 3 * t + 5}) {
                byte[] data = new byte[size];
                random.nextBytes(data);
                MessageDigest lazy = NativeDigests.newDigest(alg);
                int pos = 0;
                while (pos < size) {
                    int n = Math.min(size - pos, 1 + random.nextInt(t / 3));
                    lazy.update(data, pos, n);
                    pos += n;
                }
                byte[] expected = MessageDigest.getInstance(alg, "SUN").digest(data);
                assertThat(lazy.digest()).as(alg + " of " + size + " bytes").isEqualTo(expected);
                lazy.update(data); // reused after digest(), as one message
                assertThat(lazy.digest()).as(alg + " of " + size + " bytes again").isEqualTo(expected);
            }
        }
    }

    @Test
    void aLazyCloneTakenBeforeTheThresholdContinuesIndependently() throws Exception {
        byte[] big = new byte[NativeDigests.Engine.NATIVE_FROM * 2];
        new Random(3).nextBytes(big);
        MessageDigest a = NativeDigests.newDigest("SHA-256");
        a.update("hello ".getBytes());
        MessageDigest b = (MessageDigest) a.clone();
        a.update(big);
        b.update("there".getBytes());
        MessageDigest expected = MessageDigest.getInstance("SHA-256", "SUN");
        expected.update("hello ".getBytes());
        expected.update(big);
        assertThat(a.digest()).isEqualTo(expected.digest());
        assertThat(b.digest()).isEqualTo(MessageDigest.getInstance("SHA-256", "SUN").digest("hello there".getBytes()));
    }

    @Test
    void cloneContinuesIndependently() throws Exception {
        MessageDigest a = newEngine("SHA-256");
        a.update("hello ".getBytes());
        MessageDigest b = (MessageDigest) a.clone();
        a.update("world".getBytes());
        b.update("there".getBytes());
        assertThat(a.digest()).isEqualTo(MessageDigest.getInstance("SHA-256", "SUN").digest("hello world".getBytes()));
        assertThat(b.digest()).isEqualTo(MessageDigest.getInstance("SHA-256", "SUN").digest("hello there".getBytes()));
    }

    @Test
    void installedProviderServesMessageDigestLookups() throws Exception {
        NativeDigests.install();
        NativeDigests.install(); // idempotent
        assertThat(MessageDigest.getInstance("SHA-256").getProvider().getName()).isEqualTo("KrgoNativeDigests");
        assertThat(MessageDigest.getInstance("SHA-1").getProvider().getName()).isEqualTo("KrgoNativeDigests");
        assertThat(Digest.sha256("abc".getBytes()).hex())
                .isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    private static MessageDigest newEngine(String alg) throws Exception {
        NativeDigests.install();
        Provider p = Security.getProvider("KrgoNativeDigests");
        return MessageDigest.getInstance(alg, p);
    }
}
