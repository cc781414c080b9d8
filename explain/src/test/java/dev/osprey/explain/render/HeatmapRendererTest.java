package dev.osprey.explain.render;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.osprey.explain.AttributionMap;
import dev.osprey.explain.ImageShape;
import dev.osprey.explain.Method;
import dev.osprey.explain.model.ModelRuntime;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HeatmapRendererTest {
  @Test
  void writesInputAndOneOverlayPerMethodSideBySide(@TempDir Path dir) throws Exception {
    ImageShape shape = new ImageShape(1, 4, 4);
    float[] input = new float[16];
    input[5] = 1f;
    float[] attr = new float[16];
    attr[0] = 1f; // positive: red
    attr[15] = -1f; // negative: blue
    AttributionMap a = new AttributionMap(Method.INTEGRATED_GRADIENTS, Map.of(), 3, shape, attr,
        new ModelRuntime("pytorch", "fp32"), 0.9, 0.1, 0.001, null, Map.of());
    Path png = dir.resolve("sub/heatmap.png");
    new HeatmapRenderer(10).write(png, input, shape, "sample 1", List.of(a, a));
    assertTrue(Files.size(png) > 0);
    BufferedImage img = ImageIO.read(png.toFile());
    assertEquals(3 * 40, img.getWidth());
    assertTrue(img.getHeight() > 40, "room for the labels");
    int inputBright = img.getRGB(15, 15) & 0xFF; // pixel 5 of the input panel
    assertEquals(255, inputBright);
    int red = img.getRGB(40 + 5, 5);
    int blue = img.getRGB(40 + 35, 35);
    assertTrue(((red >> 16) & 0xFF) > 200 && (red & 0xFF) < 60, Integer.toHexString(red));
    assertTrue((blue & 0xFF) > 200 && ((blue >> 16) & 0xFF) < 60, Integer.toHexString(blue));
  }
}
