package dev.osprey.trainer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.osprey.core.data.Datasets;
import dev.osprey.core.data.ImageDataset;
import dev.osprey.core.djl.DjlOfflineGuard;
import dev.osprey.model.InputSpec;
import dev.osprey.model.arch.Architectures;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Trains the student CNN on the committed fixture: the loop, the sanity checks, save/load. */
class StudentTrainingTest {
  static {
    DjlOfflineGuard.install();
    System.setProperty("ai.djl.pytorch.num_threads", "2");
  }

  static ImageDataset train;
  static ImageDataset test;

  @BeforeAll
  static void load() throws Exception {
    Datasets datasets = new Datasets(Path.of("unused"));
    train = datasets.load("fixture:train");
    test = datasets.load("fixture:test");
  }

  @Test
  void initialLossIsAboutLnTen() {
    try (TrainedModel net = TrainedModel.create(Architectures.cnnStudent(10), 7)) {
      ImageBatches batches = new ImageBatches(test, InputSpec.mnist());
      int n = 500;
      float[][] logits = net.logits(batches.batch(ImageBatches.range(n), 0, n), n);
      double loss = 0;
      for (int i = 0; i < n; i++) {
        float[] p = DistillationLoss.softmax(logits[i], 1f);
        loss -= Math.log(p[test.label(i)]);
      }
      loss /= n;
      assertEquals(Math.log(10), loss, 0.25, "initial loss " + loss);
    }
  }

  @Test
  void studentLearnsFixtureAndRoundTrips(@TempDir Path dir) throws Exception {
    Hyperparameters hp = Hyperparameters.defaults().withEpochs(2).withBatchSize(64).withLearningRate(3e-3f).withSeed(11);
    Recipes recipes = new Recipes(InputSpec.mnist(), false);
    ImageBatches testBatches = new ImageBatches(test, InputSpec.mnist());
    int[] all = ImageBatches.range(test.size());
    float[] x = testBatches.batch(all, 0, 200);
    float[][] before;
    double acc;
    try (Recipes.Outcome out = recipes.fromScratch("student", Architectures.cnnStudent(10), train, hp)) {
      acc = ClassifierTrainer.accuracy(out.model(), testBatches, all);
      assertTrue(acc >= 0.93, "fixture:test accuracy " + acc);
      assertEquals(2, out.record().history().size());
      assertEquals(9000, out.record().trainCount());
      out.save(dir);
      before = out.model().logits(x, 200);
    }
    assertTrue(Files.size(dir.resolve(TrainedModel.CURVES_FILE)) > 1000);
    try (TrainedModel loaded = TrainedModel.load(dir)) {
      float[][] after = loaded.logits(x, 200);
      for (int i = 0; i < 200; i++) {
        assertArrayEquals(before[i], after[i], 0f);
      }
      assertEquals(acc, ClassifierTrainer.accuracy(loaded, testBatches, all), 0.0);
      assertEquals("student", loaded.record().recipe());
      assertEquals(Architectures.cnnStudent(10), loaded.spec());
    }
  }
}
