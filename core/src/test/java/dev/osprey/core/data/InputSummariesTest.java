package dev.osprey.core.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.osprey.core.event.Tensor;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class InputSummariesTest {

  @Test
  void onePixelSitsAtItsCoordinatesWithNoSpread() {
    byte[] img = new byte[5 * 5];
    img[1 * 5 + 3] = (byte) 255; // row 1, column 3
    float[] s = InputSummaries.ofUint8(img, 5, 5);
    assertArrayEquals(new float[] {1f / 25, 1f / 25, 0.75f, 0.25f, 0f, 0f, 0f}, s, 1e-6f);
  }

  @Test
  void diagonalsHaveSlantOfOneAndMinusOne() {
    byte[] down = new byte[4 * 4];
    byte[] up = new byte[4 * 4];
    for (int i = 0; i < 4; i++) {
      down[i * 4 + i] = (byte) 200;
      up[i * 4 + (3 - i)] = (byte) 200;
    }
    float[] d = InputSummaries.ofUint8(down, 4, 4);
    float[] u = InputSummaries.ofUint8(up, 4, 4);
    assertEquals(1f, d[6], 1e-6f);
    assertEquals(-1f, u[6], 1e-6f);
    // x uniform on {0, 1/3, 2/3, 1}: variance 5/36
    assertEquals(Math.sqrt(5.0 / 36), d[4], 1e-6);
    assertEquals(0.5f, d[2], 1e-6f);
    assertEquals(4f / 16, d[1], 1e-6f);
  }

  @Test
  void blankImageAndUint8TensorAgree() throws IOException {
    float[] blank = InputSummaries.of(new float[9], 3, 3);
    assertArrayEquals(new float[] {0, 0, 0.5f, 0.5f, 0, 0, 0}, blank);
    ImageDataset digits = new Datasets(Path.of("unused")).load("fixture:test");
    byte[] img = digits.image(0);
    assertArrayEquals(InputSummaries.ofUint8(img, 28, 28), InputSummaries.of(Tensor.ofUint8(img, 1, 28, 28)), 1e-6f);
    assertThrows(IllegalArgumentException.class, () -> InputSummaries.of(new float[10], 3, 3));
  }

  @Test
  void rotationAndNoiseMoveTheSummariesOfRealDigits() throws IOException {
    ImageDataset digits = new Datasets(Path.of("unused")).load("fixture:test");
    InputSummaryReference ref = InputSummaryReference.of(digits, 200);
    assertEquals(200, ref.sample().size());
    assertEquals(InputSummaries.FEATURES, ref.features());
    double mean = 0;
    double meanNoisy = 0;
    double slantShift = 0;
    java.util.Random rnd = new java.util.Random(1);
    for (int i = 0; i < 200; i++) {
      byte[] img = digits.image(i);
      float[] s = InputSummaries.ofUint8(img, 28, 28);
      mean += s[0] / 200;
      meanNoisy += InputSummaries.ofUint8(ImageShifts.noise(img, 0.3, rnd), 28, 28)[0] / 200;
      slantShift += (InputSummaries.ofUint8(ImageShifts.rotate(img, 28, 28, 30), 28, 28)[6] - s[6]) / 200;
      // MNIST digits are centred by their centre of mass
      assertEquals(0.5, s[2], 0.08);
      assertEquals(0.5, s[3], 0.08);
    }
    assertEquals(0.13, mean, 0.03);
    assertTrue(meanNoisy > mean + 0.05, "noise brightens the background: " + mean + " -> " + meanNoisy);
    // counter-clockwise rotation (row 0 on top) makes strokes lean the other way
    assertTrue(Math.abs(slantShift) > 0.2, "rotation changes the slant by " + slantShift);
  }
}
