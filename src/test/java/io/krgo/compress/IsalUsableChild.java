package io.krgo.compress;

/** A fresh JVM for {@link IsalDeflaterTest}: prints whether ISA-L is used (decided once per JVM). */
public final class IsalUsableChild {
    public static void main(String[] args) {
        System.out.println("isal deflate " + IsalDeflater.usable() + ", inflate " + IsalGzipStream.usable());
    }
}
