package dev.osprey.core.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetsTest {
  @Test
  void fixtureIsRealMnist() throws IOException {
    Datasets ds = new Datasets(Path.of("unused"));
    ImageDataset train = ds.load("fixture:train");
    ImageDataset test = ds.load("fixture:test");
    assertEquals(10_000, train.size());
    assertEquals(1_000, test.size());
    assertEquals(28, train.rows());
    // Known facts of MNIST: the first training labels are 5 0 4 1 9 2, the first test label 7.
    assertArrayEquals(new int[] {5, 0, 4, 1, 9, 2}, java.util.Arrays.copyOf(train.labels(), 6));
    assertEquals(7, test.label(0));
    int[] counts = new int[10];
    for (int l : train.labels()) {
      counts[l]++;
    }
    for (int c : counts) {
      assertTrue(c > 800 && c < 1200, "every class present in realistic proportion: " + c);
    }
    float[] img = train.imageAsFloats(0);
    assertEquals(784, img.length);
    assertTrue(img[14 * 28 + 14] >= 0f && img[14 * 28 + 14] <= 1f);
  }

  @Test
  void rawAndGzipIdxAndClearErrors(@TempDir Path dir) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(4 + 12 + 8);
    b.putInt(0x00000803).putInt(2).putInt(2).putInt(2);
    b.put(new byte[] {1, 2, 3, 4, 5, 6, 7, (byte) 255});
    Path raw = dir.resolve("a-idx3-ubyte");
    Files.write(raw, b.array());
    Path gz = dir.resolve("b.gz");
    try (OutputStream o = new GZIPOutputStream(Files.newOutputStream(gz))) {
      o.write(b.array());
    }
    for (Path p : new Path[] {raw, gz}) {
      IdxReader.IdxArray a = IdxReader.read(p);
      assertArrayEquals(new int[] {2, 2, 2}, a.dims());
      assertEquals(4, a.itemSize());
      assertEquals((byte) 255, a.data()[7]);
    }
    Files.write(dir.resolve("trunc"), java.util.Arrays.copyOf(b.array(), 20));
    IOException e = assertThrows(IOException.class, () -> IdxReader.read(dir.resolve("trunc")));
    assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    e = assertThrows(IOException.class, () -> new Datasets(dir).load("mnist:train"));
    assertTrue(e.getMessage().contains("osprey data fetch mnist"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new Datasets(dir).load("cifar:train"));
  }
}
