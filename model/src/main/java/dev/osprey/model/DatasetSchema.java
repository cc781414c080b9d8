package dev.osprey.model;

import dev.osprey.core.data.ImageDataset;
import dev.osprey.core.event.DType;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What a model trained on an image dataset accepts and says: its {@link InputSpec} (shape from the
 * images, normalization from the dataset family) and its class names. The one place that knows
 * the datasets Osprey trains on, so no caller hard-codes MNIST's shape, statistics or digits.
 *
 * @param input raw uint8 pixels, shape [1, rows, cols], scaled by 255 and normalized per channel
 * @param labels class names, index = output position
 */
public record DatasetSchema(InputSpec input, List<String> labels) {
  /** Mean and std of MNIST pixels scaled to [0, 1]; Osprey normalizes every greyscale dataset with them. */
  static final float GREYSCALE_MEAN = 0.1307f;
  static final float GREYSCALE_STD = 0.3081f;

  private static final List<String> FASHION = List.of(
      "t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle-boot");

  public DatasetSchema {
    labels = List.copyOf(labels);
  }

  /** The schema of a model trained on {@code data}. */
  public static DatasetSchema of(ImageDataset data) {
    return of(data.name(), data.rows(), data.cols(), data.classes());
  }

  /**
   * The schema of a model trained on the dataset named {@code dataset} (e.g. {@code mnist:train}, a
   * slice such as {@code fixture:train[0:2000]}, {@code fashion-mnist:test}).
   *
   * @throws IllegalArgumentException if the image size or class count is not positive
   */
  public static DatasetSchema of(String dataset, int rows, int cols, int classes) {
    if (rows < 1 || cols < 1 || classes < 2) {
      throw new IllegalArgumentException("a dataset of " + rows + "x" + cols + " images and " + classes + " classes");
    }
    InputSpec input = new InputSpec(DType.UINT8, List.of(1, rows, cols), 255f,
        new float[] {GREYSCALE_MEAN}, new float[] {GREYSCALE_STD});
    return new DatasetSchema(input, labels(dataset, classes));
  }

  /** Fashion-MNIST's article names for its ten classes, else the class indices "0", "1", ... (digits). */
  static List<String> labels(String dataset, int classes) {
    if (dataset.toLowerCase(Locale.ROOT).startsWith("fashion-mnist") && classes == FASHION.size()) {
      return FASHION;
    }
    List<String> out = new ArrayList<>(classes);
    for (int c = 0; c < classes; c++) {
      out.add(Integer.toString(c));
    }
    return out;
  }
}
