package dev.osprey.core.data;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Resolves dataset specs such as {@code mnist:test}, {@code fashion-mnist:train} or
 * {@code fixture:train} to an {@link ImageDataset}.
 *
 * <p>{@code fixture} is the small slice of real MNIST committed in this jar (10,000 train, 1,000
 * test), always available. {@code mnist} and {@code fashion-mnist} are read from
 * {@code <dataDir>/<name>/} after {@code osprey data fetch <name>}.
 */
public final class Datasets {
  public static final String FIXTURE = "fixture";
  private static final String FIXTURE_RESOURCE = "/datasets/mnist-fixture/";

  private final Path dataDir;

  public Datasets(Path dataDir) {
    this.dataDir = dataDir;
  }

  public Path dataDir() {
    return dataDir;
  }

  /**
   * Loads {@code name:split} where split is {@code train} or {@code test}.
   *
   * @throws IllegalArgumentException for an unknown name or split
   * @throws IOException if the files are missing (the message says what to run) or corrupt
   */
  public ImageDataset load(String spec) throws IOException {
    String[] parts = spec.split(":", 2);
    if (parts.length != 2) {
      throw new IllegalArgumentException("dataset '" + spec + "' must be NAME:SPLIT, e.g. mnist:test");
    }
    String name = parts[0].toLowerCase(Locale.ROOT);
    String split = parts[1].toLowerCase(Locale.ROOT);
    String prefix =
        switch (split) {
          case "train" -> "train";
          case "test" -> "t10k";
          default -> throw new IllegalArgumentException("split '" + split + "' must be train or test");
        };
    String images = prefix + "-images-idx3-ubyte";
    String labels = prefix + "-labels-idx1-ubyte";
    IdxReader.IdxArray img;
    IdxReader.IdxArray lab;
    switch (name) {
      case FIXTURE -> {
        img = readResource(FIXTURE_RESOURCE + images + ".gz");
        lab = readResource(FIXTURE_RESOURCE + labels + ".gz");
      }
      case "mnist", "fashion-mnist" -> {
        Path dir = dataDir.resolve(name);
        img = IdxReader.read(find(dir, images, name));
        lab = IdxReader.read(find(dir, labels, name));
      }
      default -> throw new IllegalArgumentException(
          "unknown dataset '" + name + "' (known: fixture, mnist, fashion-mnist)");
    }
    if (img.dims().length != 3 || lab.dims().length != 1 || img.count() != lab.count()) {
      throw new IOException(spec + ": images and labels do not match");
    }
    int[] l = new int[lab.count()];
    for (int i = 0; i < l.length; i++) {
      l[i] = lab.data()[i] & 0xFF;
    }
    return new ImageDataset(spec, img.dims()[1], img.dims()[2], img.data(), l, 10);
  }

  private static Path find(Path dir, String base, String name) throws IOException {
    for (Path p : new Path[] {dir.resolve(base), dir.resolve(base + ".gz")}) {
      if (Files.isRegularFile(p)) {
        return p;
      }
    }
    throw new IOException(
        "dataset " + name + " not found in " + dir + " (missing " + base + "): run `bin/osprey data fetch " + name + "` first");
  }

  private static IdxReader.IdxArray readResource(String path) throws IOException {
    try (InputStream in = Datasets.class.getResourceAsStream(path)) {
      if (in == null) {
        throw new IOException("fixture resource " + path + " is missing from the jar");
      }
      return IdxReader.read(in, path);
    }
  }
}
