package dev.osprey.core.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetFetcherIT {

  @Test
  void fashionMnistFromDebianPackage(@TempDir Path data) throws IOException {
    Assumptions.assumeTrue(Files.isDirectory(DatasetFetcher.FASHION_MNIST_DEBIAN_DIR),
        "Debian package dataset-fashion-mnist not installed (.ci/run installs it)");
    new DatasetFetcher(data, false).fetchFashionMnist(DatasetFetcher.FASHION_MNIST_DEBIAN_DIR);
    ImageDataset test = new Datasets(data).load("fashion-mnist:test");
    assertEquals(10_000, test.size());
    assertEquals(60_000, new Datasets(data).load("fashion-mnist:train").size());
    // Fashion-MNIST's first test item is an ankle boot (class 9).
    assertEquals(9, test.label(0));
  }

  @Test
  void missingSourceSaysWhatToRun(@TempDir Path data) {
    IOException e = assertThrows(IOException.class,
        () -> new DatasetFetcher(data, false).fetchFashionMnist(data.resolve("nowhere")));
    assertTrue(e.getMessage().contains("apt-get install -y dataset-fashion-mnist"), e.getMessage());
  }

  @Test
  void hashOfKnownContent(@TempDir Path dir) throws IOException {
    Path f = dir.resolve("abc");
    Files.writeString(f, "abc");
    assertEquals("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", DatasetFetcher.sha256(f));
  }
}
