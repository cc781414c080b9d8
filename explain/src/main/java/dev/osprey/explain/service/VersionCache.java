package dev.osprey.explain.service;

import dev.osprey.model.registry.ModelLoadException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The model versions opened for explaining, at most {@code capacity}, least recently used closed
 * first. An explanation always runs on the exact version that made the prediction: a version not
 * here is opened from the registry on demand; one that cannot be opened is remembered as
 * unavailable (so a stream of its predictions costs one failed load, not one per prediction) and
 * its predictions are skipped. Owned by one thread.
 */
public final class VersionCache implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(VersionCache.class);

  /** Opens a version. */
  @FunctionalInterface
  public interface Opener {
    VersionRuntime open(int version) throws ModelLoadException;
  }

  private final int capacity;
  private final Opener opener;
  private final LinkedHashMap<Integer, VersionRuntime> open = new LinkedHashMap<>(16, 0.75f, true);
  private final Map<Integer, String> unavailable = new LinkedHashMap<>();
  private long loads;

  public VersionCache(int capacity, Opener opener) {
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity must be >= 1, got " + capacity);
    }
    this.capacity = capacity;
    this.opener = opener;
  }

  /** The runtime of {@code version}, opened if needed; null if it cannot be opened (logged once). */
  public VersionRuntime get(int version) {
    VersionRuntime r = open.get(version);
    if (r != null || unavailable.containsKey(version)) {
      return r;
    }
    try {
      r = opener.open(version);
      loads++;
    } catch (ModelLoadException | RuntimeException e) {
      LOG.error("version {} cannot be opened for explaining; its predictions are skipped: {}", version, e.getMessage());
      unavailable.put(version, String.valueOf(e.getMessage()));
      if (unavailable.size() > 100) {
        unavailable.remove(unavailable.keySet().iterator().next());
      }
      return null;
    }
    open.put(version, r);
    if (open.size() > capacity) {
      var eldest = open.entrySet().iterator().next();
      open.remove(eldest.getKey());
      LOG.info("closing version {} (least recently used of {} open)", eldest.getKey(), capacity + 1);
      eldest.getValue().close();
    }
    return r;
  }

  /** Forgets that a version was unavailable (e.g. it was just activated, so it exists now). */
  public void retry(int version) {
    unavailable.remove(version);
  }

  public boolean isOpen(int version) {
    return open.containsKey(version);
  }

  /** Versions opened so far (loads, not hits). */
  public long loads() {
    return loads;
  }

  @Override
  public void close() {
    for (VersionRuntime r : open.values()) {
      r.close();
    }
    open.clear();
  }
}
