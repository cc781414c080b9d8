package dev.osprey.trainer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.osprey.core.data.Datasets;
import dev.osprey.core.data.ImageDataset;
import dev.osprey.core.djl.DjlOfflineGuard;
import dev.osprey.model.InputSpec;
import dev.osprey.model.Softmax;
import dev.osprey.model.arch.Architectures;
import dev.osprey.model.runtime.DjlNetwork;
import dev.osprey.model.runtime.ImageBatches;
import dev.osprey.model.runtime.Predictions;
import dev.osprey.model.runtime.PyTorchPredictor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
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
    try (DjlNetwork net = DjlNetwork.create(Architectures.cnnStudent(10), 7);
        PyTorchPredictor predictor = net.newPredictor()) {
      ImageBatches batches = new ImageBatches(test, InputSpec.mnist());
      int n = 500;
      Predictions logits = predictor.predict(batches.range(0, n), n);
      double loss = 0;
      for (int i = 0; i < n; i++) {
        float[] p = Softmax.of(logits.logits(i));
        loss -= Math.log(p[test.label(i)]);
      }
      loss /= n;
      assertEquals(Math.log(10), loss, 0.25, "initial loss " + loss);
    }
  }

  @Test
  void studentLearnsFixtureAndRoundTrips(@TempDir Path dir) throws Exception {
    Hyperparameters hp = Hyperparameters.defaults().withEpochs(2).withBatchSize(64).withLearningRate(3e-3f).withSeed(11);
    Recipes recipes = new Recipes(false);
    ImageBatches testBatches = new ImageBatches(test, InputSpec.mnist());
    int[] all = ImageBatches.range(test.size());
    float[] x = testBatches.batch(all, 0, 200);
    Predictions before;
    double acc;
    try (TrainedModel out = recipes.fromScratch("student", Architectures.cnnStudent(10), train, hp);
        PyTorchPredictor predictor = out.network().newPredictor()) {
      acc = ClassifierTrainer.accuracy(out.network(), testBatches, all);
      assertTrue(acc >= 0.93, "fixture:test accuracy " + acc);
      assertEquals(2, out.record().history().size());
      assertEquals(9000, out.record().trainCount());
      out.save(dir);
      before = predictor.predict(x, 200);
    }
    assertTrue(Files.size(dir.resolve(TrainedModel.CURVES_FILE)) > 1000);
    try (TrainedModel loaded = TrainedModel.load(dir);
        PyTorchPredictor predictor = loaded.network().newPredictor()) {
      Predictions after = predictor.predict(x, 200);
      assertArrayEquals(before.logits(), after.logits(), 0f);
      assertEquals(acc, ClassifierTrainer.accuracy(loaded.network(), testBatches, all), 0.0);
      assertEquals("student", loaded.record().recipe());
      assertEquals(Architectures.cnnStudent(10), loaded.record().spec());
      // the input spec and labels travel in training.json, taken from the training data
      assertEquals(List.of(1, 28, 28), loaded.record().input().shape());
      assertArrayEquals(InputSpec.mnist().mean(), loaded.record().input().mean(), 0f);
      assertEquals(List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9"), loaded.record().labels());
      assertEquals(List.of(), loaded.record().teachers());
    }
  }
}
