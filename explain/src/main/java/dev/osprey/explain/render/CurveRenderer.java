package dev.osprey.explain.render;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.imageio.ImageIO;

/**
 * Line charts as PNG with the JDK alone (headless AWT): several named series over shared x
 * values, y in [0, 1] by default, a legend, axis labels. Enough for sanity-check and deletion
 * curves; not a plotting library.
 */
public final class CurveRenderer {
  private static final Color[] PALETTE = {
    new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c), new Color(0xff7f0e), new Color(0x9467bd),
    new Color(0x8c564b), new Color(0x7f7f7f), new Color(0x17becf)
  };
  private static final int W = 640;
  private static final int H = 400;
  private static final int LEFT = 60;
  private static final int RIGHT = 170;
  private static final int TOP = 40;
  private static final int BOTTOM = 60;

  public CurveRenderer() {
    if (System.getProperty("java.awt.headless") == null) {
      System.setProperty("java.awt.headless", "true");
    }
  }

  /**
   * Renders the series.
   *
   * @param xLabels one label per x position (e.g. layer names), shown under the axis
   * @param series name -> y values (one per x position); y is clamped to [yMin, yMax]
   */
  public BufferedImage render(String title, String yAxis, List<String> xLabels, Map<String, double[]> series,
      double yMin, double yMax) {
    BufferedImage img = new BufferedImage(W, H, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = img.createGraphics();
    try {
      g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
      g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
      g.setColor(Color.WHITE);
      g.fillRect(0, 0, W, H);
      g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 13));
      g.setColor(Color.BLACK);
      g.drawString(title, LEFT, 22);
      g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 10));
      int pw = W - LEFT - RIGHT;
      int ph = H - TOP - BOTTOM;
      g.drawRect(LEFT, TOP, pw, ph);
      for (int t = 0; t <= 4; t++) {
        double v = yMin + (yMax - yMin) * t / 4;
        int y = TOP + ph - (int) Math.round(ph * t / 4.0);
        g.setColor(new Color(0xdddddd));
        g.drawLine(LEFT + 1, y, LEFT + pw - 1, y);
        g.setColor(Color.BLACK);
        g.drawString(String.format(Locale.ROOT, "%.2f", v), 18, y + 4);
      }
      g.drawString(yAxis, 4, TOP - 8);
      int n = xLabels.size();
      for (int i = 0; i < n; i++) {
        int x = xOf(i, n, pw);
        g.drawString(xLabels.get(i), x - 4 * Math.min(12, xLabels.get(i).length()) / 2,
            TOP + ph + 16 + (i % 2) * 12);
      }
      int k = 0;
      g.setStroke(new BasicStroke(2f));
      for (var e : series.entrySet()) {
        Color c = PALETTE[k % PALETTE.length];
        g.setColor(c);
        double[] ys = e.getValue();
        for (int i = 0; i + 1 < Math.min(n, ys.length); i++) {
          g.drawLine(xOf(i, n, pw), yOf(ys[i], yMin, yMax, ph), xOf(i + 1, n, pw), yOf(ys[i + 1], yMin, yMax, ph));
        }
        for (int i = 0; i < Math.min(n, ys.length); i++) {
          g.fillOval(xOf(i, n, pw) - 3, yOf(ys[i], yMin, yMax, ph) - 3, 6, 6);
        }
        int ly = TOP + 12 + 16 * k;
        g.fillRect(W - RIGHT + 12, ly - 8, 14, 8);
        g.setColor(Color.BLACK);
        g.drawString(e.getKey(), W - RIGHT + 32, ly);
        k++;
      }
    } finally {
      g.dispose();
    }
    return img;
  }

  /**
   * Renders and writes a PNG (parent directories created).
   *
   * @throws IOException if it cannot be written
   */
  public void write(Path png, String title, String yAxis, List<String> xLabels, Map<String, double[]> series,
      double yMin, double yMax) throws IOException {
    if (png.getParent() != null) {
      Files.createDirectories(png.getParent());
    }
    if (!ImageIO.write(render(title, yAxis, xLabels, series, yMin, yMax), "png", png.toFile())) {
      throw new IOException("no PNG writer available");
    }
  }

  private static int xOf(int i, int n, int pw) {
    return LEFT + (n <= 1 ? pw / 2 : (int) Math.round((double) pw * i / (n - 1)));
  }

  private static int yOf(double v, double min, double max, int ph) {
    double f = (Math.max(min, Math.min(max, v)) - min) / (max - min);
    return TOP + ph - (int) Math.round(f * ph);
  }
}
