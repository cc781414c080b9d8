package dev.osprey.core.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class ImageShiftsTest {
  private static ImageDataset digits;

  @BeforeAll
  static void load() throws IOException {
    digits = new Datasets(Path.of("unused")).load("fixture:test");
  }

  @Test
  void rotationByZeroIsIdentityOnRealDigits() {
    for (int i = 0; i < 20; i++) {
      byte[] img = digits.image(i);
      assertArrayEquals(img, ImageShifts.rotate(img, 28, 28, 0));
    }
  }

  @Test
  void rotationBy90IsTheExactCounterClockwiseQuarterTurn() {
    byte[] img = digits.image(3);
    byte[] out = ImageShifts.rotate(img, 28, 28, 90);
    for (int r = 0; r < 28; r++) {
      for (int c = 0; c < 28; c++) {
        // Counter-clockwise as displayed: the top row becomes the left column.
        assertEquals(img[c * 28 + (27 - r)], out[r * 28 + c], "pixel " + r + "," + c);
      }
    }
    byte[] tiny = {0, 9, 0, 0, 0, 0, 0, 0, 0};
    assertArrayEquals(new byte[] {0, 0, 0, 9, 0, 0, 0, 0, 0}, ImageShifts.rotate(tiny, 3, 3, 90));
    // Four quarter turns give the image back exactly.
    byte[] back = img;
    for (int k = 0; k < 4; k++) {
      back = ImageShifts.rotate(back, 28, 28, 90);
    }
    assertArrayEquals(img, back);
  }

  @Test
  void rotationBy45InterpolatesBilinearly() {
    // A 3x3 with only the centre lit keeps the centre and spreads nothing: centre maps to centre.
    byte[] centre = {0, 0, 0, 0, (byte) 200, 0, 0, 0, 0};
    byte[] out = ImageShifts.rotate(centre, 3, 3, 45);
    assertEquals(200, out[4] & 0xFF);
    // Corner (0,0) samples the source at (row 1 - sqrt2, col 1) = (-0.414, 1): only dark pixels.
    assertEquals(0, out[0]);
    // Edge (0,1) samples (row 1 - sin45, col 1 + cos45) = (0.2929, 1.7071): the centre's bilinear
    // weight is 0.2929 * 0.2929 = 0.0858, so 200 * 0.0858 = 17.16 -> 17.
    assertEquals(17, out[1] & 0xFF);
  }

  @Test
  void inversionIsExactAndTwiceIsIdentity() {
    byte[] img = digits.image(0);
    byte[] inv = ImageShifts.invert(img);
    for (int i = 0; i < img.length; i++) {
      assertEquals(255 - (img[i] & 0xFF), inv[i] & 0xFF);
    }
    assertArrayEquals(img, ImageShifts.invert(inv));
  }

  @Test
  void noiseHasTheRequestedStandardDeviation() {
    int n = 100 * 784;
    byte[] grey = new byte[n];
    java.util.Arrays.fill(grey, (byte) 128);
    byte[] noisy = ImageShifts.noise(grey, 0.1, new Random(7));
    double sum = 0;
    double sq = 0;
    for (int i = 0; i < n; i++) {
      double d = ((noisy[i] & 0xFF) - 128) / 255.0;
      sum += d;
      sq += d * d;
    }
    double mean = sum / n;
    double std = Math.sqrt(sq / n - mean * mean);
    // Standard error of the std estimate is sigma / sqrt(2n) = 0.00025; rounding adds 1/(255^2 * 12).
    assertEquals(0.0, mean, 0.002);
    assertEquals(0.1, std, 0.002);
    assertArrayEquals(grey, ImageShifts.noise(grey, 0.0, new Random(7)));
    // Clamped to 0..255: a huge sigma saturates.
    byte[] sat = ImageShifts.noise(grey, 100, new Random(1));
    long extremes = 0;
    for (byte b : sat) {
      if ((b & 0xFF) == 0 || (b & 0xFF) == 255) {
        extremes++;
      }
    }
    assertTrue(extremes > 0.99 * n, "saturated pixels " + extremes);
  }

  @Test
  void boxBlurAveragesTheNeighbourhood() {
    byte[] impulse = new byte[25];
    impulse[12] = (byte) 255;
    byte[] out = ImageShifts.boxBlur(impulse, 5, 5, 1);
    for (int r = 0; r < 5; r++) {
      for (int c = 0; c < 5; c++) {
        boolean near = Math.abs(r - 2) <= 1 && Math.abs(c - 2) <= 1;
        // 255 / 9 = 28.33 -> 28
        assertEquals(near ? 28 : 0, out[r * 5 + c] & 0xFF, "pixel " + r + "," + c);
      }
    }
    // Edges are averaged over in-bounds pixels only: a constant image stays constant.
    byte[] flat = new byte[28 * 28];
    java.util.Arrays.fill(flat, (byte) 77);
    assertArrayEquals(flat, ImageShifts.boxBlur(flat, 28, 28, 2));
    assertArrayEquals(digits.image(5), ImageShifts.boxBlur(digits.image(5), 28, 28, 0));
    // A corner impulse with radius 1 is averaged over the 2x2 in-bounds block: 255 / 4 = 63.75 -> 64.
    byte[] corner = new byte[25];
    corner[0] = (byte) 255;
    assertEquals(64, ImageShifts.boxBlur(corner, 5, 5, 1)[0] & 0xFF);
  }

  @Test
  void gaussianBlurMatchesTheClosedFormKernel() {
    double sigma = 1.0;
    double[] w = ImageShifts.gaussianKernel(sigma);
    assertEquals(7, w.length);
    double s = 0;
    for (double v : w) {
      s += v;
    }
    // Centre of a 9x9 impulse (all taps in bounds): 255 * (w0 / sum)^2.
    byte[] impulse = new byte[81];
    impulse[40] = (byte) 255;
    byte[] out = ImageShifts.gaussianBlur(impulse, 9, 9, sigma);
    assertEquals(Math.round(255 * (1 / s) * (1 / s)), out[40] & 0xFF);
    assertEquals(Math.round(255 * (Math.exp(-0.5) / s) * (1 / s)), out[41] & 0xFF);
    assertEquals(out[39], out[41]);
    assertEquals(out[31], out[49]);
    byte[] flat = new byte[28 * 28];
    java.util.Arrays.fill(flat, (byte) 200);
    assertArrayEquals(flat, ImageShifts.gaussianBlur(flat, 28, 28, 1.5));
    assertThrows(IllegalArgumentException.class, () -> ImageShifts.gaussianBlur(flat, 28, 28, 0));
  }
}
