package dev.osprey.explain;

/** Where an attribution map's mass lies relative to a digit (Grad-CAM's concentration check). */
public final class DigitBox {
  private DigitBox() {}

  /** Share of the map's mass inside the bounding box of the pixels brighter than 0 (the ink). */
  public static double massInside(byte[] pixels, float[] map, ImageShape shape) {
    int top = shape.height();
    int bottom = -1;
    int left = shape.width();
    int right = -1;
    for (int y = 0; y < shape.height(); y++) {
      for (int x = 0; x < shape.width(); x++) {
        if ((pixels[y * shape.width() + x] & 0xFF) > 0) {
          top = Math.min(top, y);
          bottom = Math.max(bottom, y);
          left = Math.min(left, x);
          right = Math.max(right, x);
        }
      }
    }
    double total = 0;
    double in = 0;
    for (int y = 0; y < shape.height(); y++) {
      for (int x = 0; x < shape.width(); x++) {
        double v = Math.max(0, map[y * shape.width() + x]);
        total += v;
        if (y >= top && y <= bottom && x >= left && x <= right) {
          in += v;
        }
      }
    }
    return total == 0 ? 0 : in / total;
  }
}
