package dev.osprey.explain.service;

import java.util.function.Supplier;

/**
 * A heatmap PNG rendered on first use, then kept: most explained samples' heatmaps are never
 * looked at unless they go to a directory, and rendering (drawing + PNG encoding) cost more CPU
 * than the explainers' Java side. Thread-safe (the worker renders for the directory, the HTTP
 * thread for {@code GET .../{id}.png}).
 */
final class Heatmap implements Supplier<byte[]> {
  private Supplier<byte[]> render;
  private byte[] png;

  /** @param render draws and encodes the PNG; may return null (the heatmap could not be rendered) */
  Heatmap(Supplier<byte[]> render) {
    this.render = render;
  }

  /** A heatmap that is already rendered (or null: none). */
  static Heatmap of(byte[] png) {
    Heatmap h = new Heatmap(null);
    h.png = png;
    return h;
  }

  /** The PNG, rendered now if it was not yet; null if it could not be rendered. */
  @Override
  public synchronized byte[] get() {
    if (render != null) {
      png = render.get();
      render = null; // drop the maps and the input it held
    }
    return png;
  }

  /** Whether it has been rendered (for tests). */
  synchronized boolean rendered() {
    return render == null;
  }
}
