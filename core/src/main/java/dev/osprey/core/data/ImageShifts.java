package dev.osprey.core.data;

import java.util.Random;

/**
 * Distribution shifts on greyscale uint8 images (row-major, {@code rows x cols}). Each returns a new
 * array; inputs are not modified. Results are rounded to the nearest integer and clamped to 0..255.
 */
public final class ImageShifts {
  private ImageShifts() {}

  /**
   * Rotates counter-clockwise (as displayed, row 0 at the top) about the image centre, bilinear
   * interpolation, black outside the source.
   */
  public static byte[] rotate(byte[] img, int rows, int cols, double degrees) {
    double t = Math.toRadians(degrees);
    double cos = Math.cos(t);
    double sin = Math.sin(t);
    double cy = (rows - 1) / 2.0;
    double cx = (cols - 1) / 2.0;
    byte[] out = new byte[rows * cols];
    for (int r = 0; r < rows; r++) {
      double dy = r - cy;
      for (int c = 0; c < cols; c++) {
        double dx = c - cx;
        // Inverse map: where in the source does this output pixel come from.
        double sx = cx + dx * cos - dy * sin;
        double sy = cy + dx * sin + dy * cos;
        out[r * cols + c] = clamp(bilinear(img, rows, cols, sy, sx));
      }
    }
    return out;
  }

  private static double bilinear(byte[] img, int rows, int cols, double y, double x) {
    int x0 = (int) Math.floor(x);
    int y0 = (int) Math.floor(y);
    double fx = x - x0;
    double fy = y - y0;
    return (1 - fy) * ((1 - fx) * at(img, rows, cols, y0, x0) + fx * at(img, rows, cols, y0, x0 + 1))
        + fy * ((1 - fx) * at(img, rows, cols, y0 + 1, x0) + fx * at(img, rows, cols, y0 + 1, x0 + 1));
  }

  private static int at(byte[] img, int rows, int cols, int r, int c) {
    return r < 0 || c < 0 || r >= rows || c >= cols ? 0 : img[r * cols + c] & 0xFF;
  }

  /**
   * Adds gaussian noise with standard deviation {@code sigma} in units of full scale (1.0 = 255).
   *
   * @throws IllegalArgumentException if sigma is negative or not finite
   */
  public static byte[] noise(byte[] img, double sigma, Random rng) {
    if (!(sigma >= 0) || Double.isInfinite(sigma)) {
      throw new IllegalArgumentException("sigma must be finite and >= 0, got " + sigma);
    }
    byte[] out = new byte[img.length];
    double s = sigma * 255.0;
    for (int i = 0; i < img.length; i++) {
      out[i] = clamp((img[i] & 0xFF) + rng.nextGaussian() * s);
    }
    return out;
  }

  /** {@code 255 - v} for every pixel. */
  public static byte[] invert(byte[] img) {
    byte[] out = new byte[img.length];
    for (int i = 0; i < img.length; i++) {
      out[i] = (byte) (255 - (img[i] & 0xFF));
    }
    return out;
  }

  /**
   * Box blur: the mean over the {@code (2r+1)^2} neighbourhood, taking only pixels inside the image
   * (so edges are not darkened).
   *
   * @throws IllegalArgumentException if radius is negative
   */
  public static byte[] boxBlur(byte[] img, int rows, int cols, int radius) {
    if (radius < 0) {
      throw new IllegalArgumentException("radius must be >= 0, got " + radius);
    }
    double[] w = new double[2 * radius + 1];
    java.util.Arrays.fill(w, 1.0);
    return separable(img, rows, cols, w);
  }

  /**
   * Gaussian blur with standard deviation {@code sigma} pixels, kernel radius {@code ceil(3 sigma)},
   * renormalised at the edges.
   *
   * @throws IllegalArgumentException if sigma is not positive
   */
  public static byte[] gaussianBlur(byte[] img, int rows, int cols, double sigma) {
    if (!(sigma > 0) || Double.isInfinite(sigma)) {
      throw new IllegalArgumentException("sigma must be finite and > 0, got " + sigma);
    }
    return separable(img, rows, cols, gaussianKernel(sigma));
  }

  /** The unnormalised 1-D gaussian taps {@code exp(-i^2 / (2 sigma^2))}, i = -r..r, r = ceil(3 sigma). */
  static double[] gaussianKernel(double sigma) {
    int r = (int) Math.ceil(3 * sigma);
    double[] w = new double[2 * r + 1];
    for (int i = -r; i <= r; i++) {
      w[i + r] = Math.exp(-(i * (double) i) / (2 * sigma * sigma));
    }
    return w;
  }

  /** Horizontal then vertical pass with weights {@code w}, normalised over in-bounds taps. */
  private static byte[] separable(byte[] img, int rows, int cols, double[] w) {
    int r = w.length / 2;
    double[] tmp = new double[rows * cols];
    double[] norm = new double[rows * cols];
    for (int y = 0; y < rows; y++) {
      for (int x = 0; x < cols; x++) {
        double sum = 0;
        double ws = 0;
        for (int k = -r; k <= r; k++) {
          int xx = x + k;
          if (xx >= 0 && xx < cols) {
            sum += w[k + r] * (img[y * cols + xx] & 0xFF);
            ws += w[k + r];
          }
        }
        tmp[y * cols + x] = sum;
        norm[y * cols + x] = ws;
      }
    }
    byte[] out = new byte[rows * cols];
    for (int y = 0; y < rows; y++) {
      for (int x = 0; x < cols; x++) {
        double sum = 0;
        double ws = 0;
        for (int k = -r; k <= r; k++) {
          int yy = y + k;
          if (yy >= 0 && yy < rows) {
            sum += w[k + r] * tmp[yy * cols + x];
            ws += w[k + r] * norm[yy * cols + x];
          }
        }
        out[y * cols + x] = clamp(sum / ws);
      }
    }
    return out;
  }

  private static byte clamp(double v) {
    long q = Math.round(v);
    return (byte) (q < 0 ? 0 : q > 255 ? 255 : q);
  }
}
