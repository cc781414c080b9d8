package dev.osprey.explain.shap;

import dev.osprey.explain.ImageShape;
import java.util.ArrayList;
import java.util.List;

/**
 * Rectangular patches tiling an image: the players of the Shapley game when features are
 * superpixels. Patch {@code r * cols + c} covers rows {@code [rowStarts[r], rowStarts[r+1])} and
 * columns {@code [colStarts[c], colStarts[c+1])} in every channel.
 */
public final class PatchGrid {
  private final ImageShape shape;
  private final int[] rowEdges;
  private final int[] colEdges;
  private final int[][] pixels;
  private final String description;

  private PatchGrid(ImageShape shape, int[] rowEdges, int[] colEdges, String description) {
    this.shape = shape;
    this.rowEdges = rowEdges;
    this.colEdges = colEdges;
    this.description = description;
    int rows = rowEdges.length - 1;
    int cols = colEdges.length - 1;
    this.pixels = new int[rows * cols][];
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < cols; c++) {
        List<Integer> idx = new ArrayList<>();
        for (int ch = 0; ch < shape.channels(); ch++) {
          for (int y = rowEdges[r]; y < rowEdges[r + 1]; y++) {
            for (int x = colEdges[c]; x < colEdges[c + 1]; x++) {
              idx.add(ch * shape.plane() + y * shape.width() + x);
            }
          }
        }
        pixels[r * cols + c] = idx.stream().mapToInt(Integer::intValue).toArray();
      }
    }
  }

  /**
   * Patches of {@code patchHeight x patchWidth} from the top-left corner; the last row/column of
   * patches is smaller when the size does not divide the image (28 / 4 = a 7x7 grid, exact).
   *
   * @throws IllegalArgumentException if a patch size is not in 1..image size
   */
  public static PatchGrid ofPatchSize(ImageShape shape, int patchHeight, int patchWidth) {
    if (patchHeight < 1 || patchWidth < 1 || patchHeight > shape.height() || patchWidth > shape.width()) {
      throw new IllegalArgumentException("patch " + patchHeight + "x" + patchWidth + " does not fit image " + shape);
    }
    return new PatchGrid(shape, edgesBySize(shape.height(), patchHeight), edgesBySize(shape.width(), patchWidth),
        gridName(shape, patchHeight, patchWidth));
  }

  /**
   * A {@code rows x cols} grid with edges at {@code floor(i * size / n)} (patches differ by at most
   * one pixel).
   *
   * @throws IllegalArgumentException if rows or cols are not in 1..image size
   */
  public static PatchGrid ofCount(ImageShape shape, int rows, int cols) {
    if (rows < 1 || cols < 1 || rows > shape.height() || cols > shape.width()) {
      throw new IllegalArgumentException("grid " + rows + "x" + cols + " does not fit image " + shape);
    }
    int[] r = new int[rows + 1];
    for (int i = 0; i <= rows; i++) {
      r[i] = i * shape.height() / rows;
    }
    int[] c = new int[cols + 1];
    for (int i = 0; i <= cols; i++) {
      c[i] = i * shape.width() / cols;
    }
    return new PatchGrid(shape, r, c, rows + "x" + cols + " grid");
  }

  private static int[] edgesBySize(int size, int patch) {
    int n = (size + patch - 1) / patch;
    int[] e = new int[n + 1];
    for (int i = 0; i < n; i++) {
      e[i] = i * patch;
    }
    e[n] = size;
    return e;
  }

  private static String gridName(ImageShape shape, int ph, int pw) {
    int rows = (shape.height() + ph - 1) / ph;
    int cols = (shape.width() + pw - 1) / pw;
    return rows + "x" + cols + " grid of " + ph + "x" + pw;
  }

  public ImageShape shape() {
    return shape;
  }

  /** Number of patches (players). */
  public int size() {
    return pixels.length;
  }

  public int rows() {
    return rowEdges.length - 1;
  }

  public int cols() {
    return colEdges.length - 1;
  }

  /** Flat input indices (all channels) covered by patch {@code p}; do not modify. */
  public int[] pixels(int p) {
    return pixels[p];
  }

  /** Spreads one value per patch evenly over the patch's pixels, so sums are preserved. */
  public float[] toPixels(double[] patchValues) {
    if (patchValues.length != size()) {
      throw new IllegalArgumentException(patchValues.length + " values for " + size() + " patches");
    }
    float[] out = new float[shape.size()];
    for (int p = 0; p < size(); p++) {
      float v = (float) (patchValues[p] / pixels[p].length);
      for (int i : pixels[p]) {
        out[i] = v;
      }
    }
    return out;
  }

  /** E.g. "7x7 grid of 4x4". */
  @Override
  public String toString() {
    return description;
  }
}
