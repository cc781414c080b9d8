package dev.osprey.monitor.stats;

import java.util.Arrays;

/**
 * Two-sample Kolmogorov-Smirnov statistics of a sliding window against a fixed reference, for
 * several columns at once (one per class of a softmax, one per input summary), updated in
 * O(columns * log n) per sample.
 *
 * <p>Per column the reference's distinct values {@code g_0 < ... < g_{m-1}} cut the line into 2m+1
 * cells (below g_0, exactly g_0, between g_0 and g_1, ...). Both ECDFs are constant on a cell,
 * so {@code D = max_p |R(p)/n - C(p)/W|} over the cell prefixes p, where R and C count reference
 * and window values in cells 0..p. A window value entering or leaving changes C on a suffix of
 * cells; a {@link RangeAddTree} keeps the extremes of {@code R/n - C/W}. The result equals
 * {@link KolmogorovSmirnov#statistic} on the same values, ties included.
 *
 * <p>The window must be filled with {@link #add} before {@link #slide} (a detector prefills it
 * from reference draws). Not thread-safe.
 */
public final class SlidingKolmogorovSmirnov {
  private final int columns;
  private final int window;
  private final double[][] grid;
  private final RangeAddTree[] trees;
  private final int[] cells; // ring: window x columns
  private int filled;
  private int head;

  /**
   * @param reference reference rows (each {@code columns} wide)
   * @param window W, the window size
   */
  public SlidingKolmogorovSmirnov(float[][] reference, int window) {
    if (reference.length == 0) {
      throw new IllegalArgumentException("reference must hold at least one row");
    }
    if (window < 1) {
      throw new IllegalArgumentException("window must be >= 1, got " + window);
    }
    this.columns = reference[0].length;
    this.window = window;
    this.grid = new double[columns][];
    this.trees = new RangeAddTree[columns];
    this.cells = new int[window * columns];
    int n = reference.length;
    for (int c = 0; c < columns; c++) {
      double[] v = new double[n];
      for (int i = 0; i < n; i++) {
        if (reference[i].length != columns) {
          throw new IllegalArgumentException("reference row " + i + " has " + reference[i].length + " values, expected " + columns);
        }
        v[i] = reference[i][c];
      }
      Arrays.sort(v);
      int m = 0;
      double[] distinct = new double[n];
      int[] mult = new int[n];
      for (int i = 0; i < n; i++) {
        if (m > 0 && distinct[m - 1] == v[i]) {
          mult[m - 1]++;
        } else {
          distinct[m] = v[i];
          mult[m++] = 1;
        }
      }
      grid[c] = Arrays.copyOf(distinct, m);
      double[] initial = new double[2 * m + 1];
      long cum = 0;
      for (int j = 0; j < m; j++) {
        initial[2 * j] = (double) cum / n; // strictly between g_{j-1} and g_j
        cum += mult[j];
        initial[2 * j + 1] = (double) cum / n; // up to and including g_j
      }
      initial[2 * m] = 1;
      trees[c] = new RangeAddTree(initial);
    }
  }

  public int columns() {
    return columns;
  }

  public int window() {
    return window;
  }

  /** Whether the window holds W values. */
  public boolean full() {
    return filled == window;
  }

  /**
   * Adds a row while the window is filling.
   *
   * @throws IllegalStateException if the window is already full
   */
  public void add(float[] row) {
    if (filled == window) {
      throw new IllegalStateException("window is full; use slide");
    }
    insert(row, (head + filled) % window);
    filled++;
  }

  /** Adds a row and drops the oldest (the window must be full). */
  public void slide(float[] row) {
    if (filled < window) {
      throw new IllegalStateException("window holds " + filled + " of " + window + " rows; fill it first");
    }
    int base = head * columns;
    for (int c = 0; c < columns; c++) {
      trees[c].addSuffix(cells[base + c], 1.0 / window);
    }
    insert(row, head);
    head = (head + 1) % window;
  }

  private void insert(float[] row, int slot) {
    if (row.length != columns) {
      throw new IllegalArgumentException("row has " + row.length + " values, expected " + columns);
    }
    int base = slot * columns;
    for (int c = 0; c < columns; c++) {
      int cell = cell(grid[c], row[c]);
      cells[base + c] = cell;
      trees[c].addSuffix(cell, -1.0 / window);
    }
  }

  private static int cell(double[] g, double x) {
    int j = Arrays.binarySearch(g, x);
    return j >= 0 ? 2 * j + 1 : 2 * (-j - 1);
  }

  /** D of column {@code c} (valid once the window is full). */
  public double statistic(int c) {
    return Math.max(trees[c].max(), -trees[c].min());
  }

  /** The largest D over the columns. */
  public double maxStatistic() {
    double d = 0;
    for (int c = 0; c < columns; c++) {
      d = Math.max(d, statistic(c));
    }
    return d;
  }
}
