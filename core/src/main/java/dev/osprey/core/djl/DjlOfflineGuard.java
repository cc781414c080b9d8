package dev.osprey.core.djl;

/**
 * Keeps DJL off the network. Loading {@code ai.djl.engine.Engine} otherwise makes an HTTP request
 * (usage tracking, a cloud metadata lookup) and may try to download native libraries. Call
 * {@link #install()} before any DJL class loads; it is idempotent. This class itself imports no
 * DJL type, so core stays engine-free.
 */
public final class DjlOfflineGuard {
  /** System property DJL reads to forbid downloads. */
  public static final String OFFLINE_PROPERTY = "ai.djl.offline";
  /** Property/env name DJL reads to disable its usage tracking call. */
  public static final String TRACKING_PROPERTY = "OPT_OUT_TRACKING";

  private DjlOfflineGuard() {}

  /** Sets the offline and opt-out properties. */
  public static void install() {
    System.setProperty(OFFLINE_PROPERTY, "true");
    System.setProperty(TRACKING_PROPERTY, "true");
  }

  /** True when DJL will neither download nor track. */
  public static boolean isActive() {
    return "true".equals(System.getProperty(OFFLINE_PROPERTY))
        && ("true".equals(System.getProperty(TRACKING_PROPERTY))
            || "true".equals(System.getenv(TRACKING_PROPERTY)));
  }

  /**
   * Fails fast when the guard is not installed, e.g. at the top of a runtime factory.
   *
   * @throws IllegalStateException if DJL could call home
   */
  public static void requireActive() {
    if (!isActive()) {
      throw new IllegalStateException(
          "DJL offline guard is not active: call DjlOfflineGuard.install() before any DJL class loads");
    }
  }
}
