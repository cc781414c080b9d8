package dev.osprey.trainer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.nn.Parameter;
import dev.osprey.core.data.Datasets;
import dev.osprey.core.data.ImageDataset;
import dev.osprey.core.djl.DjlOfflineGuard;
import dev.osprey.model.DatasetSchema;
import dev.osprey.model.arch.Architectures;
import dev.osprey.model.net.NetworkSpec;
import dev.osprey.model.runtime.DjlNetwork;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class FineTuneAndPruneTest {
  static {
    DjlOfflineGuard.install();
    System.setProperty("ai.djl.pytorch.num_threads", "2");
  }

  static ImageDataset small;

  @BeforeAll
  static void load() throws Exception {
    small = new Datasets(Path.of("unused")).load("fixture:train").slice(0, 2000);
  }

  private static List<float[]> stage(DjlNetwork net, int stage) {
    return net.block().getChildren().get(stage).getValue().getParameters().values().stream()
        .map(p -> p.getArray().toFloatArray()).toList();
  }

  @Test
  void aCancellationStopsTheTrainingBeforeTheNextBatch() {
    Hyperparameters hp = Hyperparameters.defaults().withEpochs(2).withBatchSize(50).withValidationCount(200).withSeed(3);
    AtomicInteger checks = new AtomicInteger();
    Recipes recipes = new Recipes(false, () -> checks.incrementAndGet() > 3);
    try (DjlNetwork base = DjlNetwork.create(Architectures.cnnStudent(10), 5)) {
      CancellationException e = assertThrows(CancellationException.class,
          () -> recipes.adapt("fine-tune", base, DatasetSchema.of(small), small, hp, 1, List.of(), Map.of()));
      assertEquals("training cancelled before cnn-student fine-tune epoch 1 batch 4/36", e.getMessage());
      assertEquals(4, checks.get(), "one check per batch, three batches trained");
    }
  }

  @Test
  void frozenBackboneStaysBitIdenticalWhileTheHeadLearns() {
    Hyperparameters hp = Hyperparameters.defaults().withEpochs(1).withBatchSize(50).withValidationCount(200).withSeed(3);
    Recipes recipes = new Recipes(false);
    try (DjlNetwork base = DjlNetwork.create(Architectures.cnnStudent(10), 5)) {
      List<float[]> features = stage(base, NetworkSpec.FEATURES);
      List<float[]> embedding = stage(base, NetworkSpec.EMBEDDING);
      try (TrainedModel tuned = recipes.fineTune(base, small, hp, 10, Integer.MAX_VALUE, 0)) {
        DjlNetwork net = tuned.network();
        List<float[]> headBefore;
        try (DjlNetwork sameSeedHead = base.withNewHead(10, hp.seed())) {
          headBefore = stage(sameSeedHead, NetworkSpec.HEAD);
        }
        assertStageEquals(features, stage(net, NetworkSpec.FEATURES));
        assertStageEquals(embedding, stage(net, NetworkSpec.EMBEDDING));
        List<float[]> headAfter = stage(net, NetworkSpec.HEAD);
        assertFalse(Arrays.equals(headBefore.get(0), headAfter.get(0)), "head weights did not change");
        // A linear head on random conv features still learns digits.
        assertTrue(tuned.record().bestValidationAccuracy() > 0.5, "head-only accuracy " + tuned.record().bestValidationAccuracy());
        // Parameters are frozen during phase 1 via DJL's freeze flag (running stats excluded).
        Parameter w = net.block().getChildren().get(NetworkSpec.FEATURES).getValue().getParameters().get(0).getValue();
        assertFalse(w.requiresGradient());
      }
    }
  }

  @Test
  void unfreezingChangesTheBackbone() {
    Hyperparameters hp = Hyperparameters.defaults().withEpochs(1).withBatchSize(50).withValidationCount(200).withSeed(3);
    try (DjlNetwork base = DjlNetwork.create(Architectures.cnnStudent(10), 5);
        TrainedModel tuned = new Recipes(false).fineTune(base, small, hp, 10, Integer.MAX_VALUE, 1)) {
      assertFalse(Arrays.equals(stage(base, NetworkSpec.FEATURES).get(0), stage(tuned.network(), NetworkSpec.FEATURES).get(0)));
      assertEquals(2, tuned.record().history().size());
      assertEquals(hp.learningRate() / 10, tuned.record().hyperparameters().learningRate(), 1e-9);
    }
  }

  @Test
  void pruningHitsTargetSparsityAndKeepsIt() {
    Hyperparameters hp = Hyperparameters.defaults().withEpochs(1).withBatchSize(50).withValidationCount(200).withSeed(3);
    try (DjlNetwork base = DjlNetwork.create(Architectures.cnnStudent(10), 5);
        TrainedModel pruned = new Recipes(false).prune(base, small, hp, 0.5f)) {
      double achieved = (double) pruned.record().details().get("achievedSparsity");
      assertEquals(0.5, achieved, 0.01);
      // 8 + 16 conv filters, half of each gone: whole filters are zero
      float[] conv1 = stage(pruned.network(), NetworkSpec.FEATURES).get(0);
      int zeroFilters = 0;
      for (int f = 0; f < 8; f++) {
        boolean allZero = true;
        for (int j = 0; j < 9; j++) {
          allZero &= conv1[f * 9 + j] == 0f;
        }
        zeroFilters += allZero ? 1 : 0;
      }
      assertEquals(4, zeroFilters);
      // Half the filters and weights gone from a random start, one epoch on 1,800 images: the
      // masked network still learns (chance is 0.1; measured 0.595 with this seed).
      assertTrue(pruned.record().bestValidationAccuracy() > 0.45, "accuracy after pruned training " + pruned.record().bestValidationAccuracy());
    }
  }

  @Test
  void weightMaskRemovesExactlyTheSmallest() {
    float[] w = {0.5f, -0.1f, 0.3f, -0.7f, 0.1f, 0.2f};
    assertArrayEquals(new float[] {1, 0, 1, 1, 0, 0}, PruningMasks.weightMask(w, 0.5f), 0f);
    float[] filters = {1, 1, -0.1f, 0.1f, 3, -3};
    assertArrayEquals(new float[] {1, 1, 0, 0, 1, 1}, PruningMasks.filterMask(filters, 3, 0.34f), 0f);
  }

  private static void assertStageEquals(List<float[]> expected, List<float[]> actual) {
    assertEquals(expected.size(), actual.size());
    for (int i = 0; i < expected.size(); i++) {
      assertArrayEquals(expected.get(i), actual.get(i), 0f, "parameter " + i);
    }
  }
}
