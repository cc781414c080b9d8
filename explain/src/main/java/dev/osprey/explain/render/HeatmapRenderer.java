package dev.osprey.explain.render;

import dev.osprey.explain.AttributionMap;
import dev.osprey.explain.ImageShape;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/**
 * Renders an input and its attribution maps side by side as one PNG with the JDK alone (headless
 * AWT): the input in grey, then per method the input dimmed with the attributions on top, red for
 * positive evidence and blue for negative, each map scaled to its own 99th percentile of |value|
 * so one hot pixel does not wash the rest out. The first channel is shown for multi-channel input.
 */
public final class HeatmapRenderer {
  private static final int LABEL_HEIGHT = 30;

  private final int scale;

  /** @param scale screen pixels per input pixel, >= 1 (8 turns a 28x28 digit into 224x224) */
  public HeatmapRenderer(int scale) {
    if (scale < 1) {
      throw new IllegalArgumentException("scale must be >= 1, got " + scale);
    }
    if (System.getProperty("java.awt.headless") == null) {
      System.setProperty("java.awt.headless", "true");
    }
    this.scale = scale;
  }

  /** The panels as one image: input first, then one overlay per map. */
  public BufferedImage render(float[] input, ImageShape shape, String title, List<AttributionMap> maps) {
    shape.check(input);
    int w = shape.width() * scale;
    int h = shape.height() * scale;
    BufferedImage out = new BufferedImage(w * (maps.size() + 1), h + LABEL_HEIGHT, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = out.createGraphics();
    try {
      g.setColor(Color.WHITE);
      g.fillRect(0, 0, out.getWidth(), out.getHeight());
      g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
      g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
      float[] grey = greyLevels(input, shape);
      paint(out, 0, grey, null, shape);
      label(g, 0, h, title, "");
      for (int m = 0; m < maps.size(); m++) {
        AttributionMap a = maps.get(m);
        paint(out, (m + 1) * w, grey, a.values(), shape);
        String detail = a.completenessResidual() == null ? String.format(Locale.ROOT, "class %d", a.targetLabel())
            : String.format(Locale.ROOT, "class %d, residual %.2g", a.targetLabel(), a.completenessResidual());
        label(g, (m + 1) * w, h, a.method().wireName() + " (" + a.runtime() + ")", detail);
      }
    } finally {
      g.dispose();
    }
    return out;
  }

  /**
   * Renders and writes a PNG (parent directories created).
   *
   * @throws IOException if the file cannot be written
   */
  public void write(Path png, float[] input, ImageShape shape, String title, List<AttributionMap> maps) throws IOException {
    if (png.getParent() != null) {
      Files.createDirectories(png.getParent());
    }
    if (!ImageIO.write(render(input, shape, title, maps), "png", png.toFile())) {
      throw new IOException("no PNG writer available");
    }
  }

  private static void label(Graphics2D g, int x, int top, String line1, String line2) {
    g.setColor(Color.BLACK);
    int ascent = g.getFontMetrics().getAscent();
    g.drawString(line1, x + 4, top + ascent);
    g.drawString(line2, x + 4, top + 2 * ascent + 1);
  }

  private void paint(BufferedImage img, int x0, float[] grey, float[] attributions, ImageShape shape) {
    float limit = attributions == null ? 1 : percentileAbs(attributions, shape.plane(), 0.99);
    for (int y = 0; y < shape.height(); y++) {
      for (int x = 0; x < shape.width(); x++) {
        int p = y * shape.width() + x;
        float g = grey[p];
        int rgb;
        if (attributions == null) {
          int v = Math.round(g * 255);
          rgb = (v << 16) | (v << 8) | v;
        } else {
          float a = limit == 0 ? 0 : Math.max(-1, Math.min(1, attributions[p] / limit));
          float base = 0.25f + 0.45f * g; // the input, dimmed
          float r = base;
          float gr = base;
          float b = base;
          if (a > 0) {
            r = base + (1 - base) * a;
            gr = base * (1 - a);
            b = base * (1 - a);
          } else if (a < 0) {
            b = base + (1 - base) * -a;
            r = base * (1 + a);
            gr = base * (1 + a);
          }
          rgb = (Math.round(r * 255) << 16) | (Math.round(gr * 255) << 8) | Math.round(b * 255);
        }
        for (int dy = 0; dy < scale; dy++) {
          for (int dx = 0; dx < scale; dx++) {
            img.setRGB(x0 + x * scale + dx, y * scale + dy, rgb);
          }
        }
      }
    }
  }

  /** The input's first channel mapped to [0, 1] by its own min and max. */
  static float[] greyLevels(float[] input, ImageShape shape) {
    float min = Float.POSITIVE_INFINITY;
    float max = Float.NEGATIVE_INFINITY;
    for (int i = 0; i < shape.plane(); i++) {
      min = Math.min(min, input[i]);
      max = Math.max(max, input[i]);
    }
    float[] out = new float[shape.plane()];
    for (int i = 0; i < out.length; i++) {
      out[i] = max > min ? (input[i] - min) / (max - min) : 0;
    }
    return out;
  }

  static float percentileAbs(float[] v, int n, double q) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = Math.abs(v[i]);
    }
    Arrays.sort(a);
    return a[Math.min(n - 1, (int) Math.floor(q * (n - 1)))];
  }
}
