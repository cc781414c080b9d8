package dev.osprey.trainer.loop;

import java.nio.charset.StandardCharsets;

/**
 * A hash of strings that never changes between JVMs, releases or restarts (unlike
 * {@code String.hashCode}'s weak mixing or a seeded hash): run ids and the held-out split are
 * derived from it, and a restarted trainer must derive the same ones. FNV-1a 64 over the UTF-8
 * bytes, finished with the SplitMix64 mixer so nearby ids spread over the whole range.
 */
public final class StableHash {
  private static final long FNV_OFFSET = 0xcbf29ce484222325L;
  private static final long FNV_PRIME = 0x100000001b3L;

  private StableHash() {}

  /** The 64-bit hash of {@code text}. */
  public static long of(String text) {
    long h = FNV_OFFSET;
    for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
      h ^= b & 0xFF;
      h *= FNV_PRIME;
    }
    return mix(h);
  }

  /** The hash mapped uniformly onto {@code [0, 1)}. */
  public static double unit(String text) {
    return (of(text) >>> 11) * 0x1.0p-53;
  }

  /** The hash as 16 lower-case hex digits. */
  public static String hex(String text) {
    return String.format("%016x", of(text));
  }

  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    return z ^ (z >>> 31);
  }
}
