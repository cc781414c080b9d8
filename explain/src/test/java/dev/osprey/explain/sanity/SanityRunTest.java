package dev.osprey.explain.sanity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.osprey.explain.Method;
import dev.osprey.explain.TrainedDigits;
import dev.osprey.explain.model.DjlNetwork;
import dev.osprey.explain.service.MethodSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SanityRunTest {
  @TempDir Path tmp;

  @Test
  void reportsEveryMethodAndWritesBothCharts() throws Exception {
    try (DjlNetwork twin = DjlNetwork.borrow(TrainedDigits.SPEC, TrainedDigits.model().getBlock(),
        TrainedDigits.model().getNDManager())) {
      SanityRun.Result r = SanityRun.run(twin, TrainedDigits.INPUT, MethodSettings.defaults(),
          List.of(Method.GRADIENT, Method.GRAD_CAM), TrainedDigits.testInputs(0, 3), 17);
      assertEquals(List.of(Method.GRADIENT, Method.GRAD_CAM), List.copyOf(r.deletion().keySet()));
      for (DeletionCurve.Curve c : r.deletion().values()) {
        // deleting by attribution lowers the class probability faster than at random
        assertTrue(c.areaByAttribution() < c.areaRandom(), c.areaByAttribution() + " vs " + c.areaRandom());
        assertEquals(0.0, c.fractions()[0]);
      }
      String md = r.toMarkdown();
      assertTrue(md.contains("| gradient |") && md.contains("| gradcam |"), md);
      List<Path> charts = SanityRun.writeCharts(r, tmp);
      for (Path p : charts) {
        assertTrue(Files.size(p) > 1000);
        assertEquals(640, ImageIO.read(p.toFile()).getWidth());
      }
    }
  }
}
