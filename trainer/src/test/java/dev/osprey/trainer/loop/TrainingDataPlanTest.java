package dev.osprey.trainer.loop;

import static dev.osprey.trainer.loop.LoopEvents.labeled;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.osprey.core.data.ImageDataset;
import dev.osprey.core.event.DType;
import dev.osprey.core.event.LabeledSample;
import dev.osprey.core.event.Tensor;
import dev.osprey.model.InputSpec;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class TrainingDataPlanTest {
  /** 2x2 greyscale, x = v / 255: normalized values are exact to check. */
  private static final InputSpec INPUT =
      new InputSpec(DType.UINT8, List.of(1, 2, 2), 255f, new float[] {0f}, new float[] {1f});
  private static final ImageDataset REFERENCE = reference(50);

  private static ImageDataset reference(int n) {
    byte[] pixels = new byte[n * 4];
    int[] labels = new int[n];
    for (int i = 0; i < n; i++) {
      for (int k = 0; k < 4; k++) {
        pixels[i * 4 + k] = (byte) (200 + k);
      }
      labels[i] = i % 3;
    }
    return new ImageDataset("ref:train", 2, 2, pixels, labels, 3);
  }

  /** Sample i has pixels (i, i, i, i) and label i % 3. */
  private static List<LabeledSample> window(int n) {
    List<LabeledSample> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      byte v = (byte) i;
      out.add(labeled("s" + i, i % 3, new byte[] {v, v, v, v}, 1, 2, 2));
    }
    return out;
  }

  @Test
  void windowKeepsTheNewestAndARelabelReplacesAndRefreshes() {
    LabeledWindow w = new LabeledWindow(3);
    w.add(labeled("a", 0, 1));
    w.add(labeled("b", 0, 2));
    w.add(labeled("c", 0, 3));
    w.add(labeled("a", 2, 4));
    w.add(labeled("d", 1, 5));
    assertEquals(List.of("c", "a", "d"), w.samples().stream().map(LabeledSample::sampleId).toList());
    assertEquals(2, w.samples().get(1).label());
    assertThrows(IllegalArgumentException.class, () -> new LabeledWindow(0));
  }

  @Test
  void holdoutIsAFixedFunctionOfTheSampleId() {
    HoldoutSplit split = new HoldoutSplit(0.2);
    int held = 0;
    for (int i = 0; i < 10_000; i++) {
      held += split.isHeldOut("sample-" + i) ? 1 : 0;
      assertEquals(split.isHeldOut("sample-" + i), new HoldoutSplit(0.2).isHeldOut("sample-" + i));
    }
    // 10,000 Bernoulli(0.2) draws: 2,000 +- 40 (1 sd); the exact count pins the hash across releases
    assertEquals(2040, held);
    assertFalse(new HoldoutSplit(0).isHeldOut("sample-1"));
    assertTrue(new HoldoutSplit(1).isHeldOut("sample-1"));
    assertThrows(IllegalArgumentException.class, () -> new HoldoutSplit(1.5));
  }

  @Test
  void recentLabelsSplitByIdAndTheTrainingPartIsMixedWithReplayAtTheRatio() {
    DataPlanConfig config = new DataPlanConfig(100, 0.25, 0.5);
    TrainingDataPlan plan = TrainingDataPlan.of(window(40), REFERENCE, INPUT, config, "drift-1");
    HoldoutSplit split = new HoldoutSplit(0.25);
    List<String> expectedHeld = new ArrayList<>();
    List<String> expectedTrain = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      (split.isHeldOut("s" + i) ? expectedHeld : expectedTrain).add("s" + i);
    }
    assertEquals(expectedHeld, plan.heldOut().stream().map(LabeledSample::sampleId).toList());
    assertEquals(expectedTrain, plan.recentTrain().stream().map(LabeledSample::sampleId).toList());
    int replay = Math.round(0.5f * expectedTrain.size());
    assertEquals(replay, plan.replayIndices().length);
    assertEquals(Set.of(), intersection(expectedHeld, plan.trainArrays().ids()));
    Map<String, Long> counts = new LinkedHashMap<>();
    counts.put("osprey.labeled", (long) expectedTrain.size());
    counts.put("ref:train", (long) replay);
    assertEquals(counts, plan.dataCounts());

    LabeledArrays train = plan.trainArrays();
    assertEquals(expectedTrain.size() + replay, train.count());
    assertEquals(4, train.inputSize());
    for (int k = 0; k < train.count(); k++) {
      String id = train.ids().get(k);
      if (id.startsWith("ref:train#")) {
        int r = Integer.parseInt(id.substring("ref:train#".length()));
        assertEquals(r % 3, train.labels()[k]);
        assertEquals(203 / 255f, train.inputs()[k * 4 + 3]);
      } else {
        int i = Integer.parseInt(id.substring(1));
        assertEquals(i % 3, train.labels()[k]);
        assertEquals(i / 255f, train.inputs()[k * 4]);
      }
    }
    LabeledArrays held = plan.heldOutArrays();
    assertEquals(expectedHeld, held.ids());
    for (int k = 0; k < held.count(); k++) {
      int i = Integer.parseInt(held.ids().get(k).substring(1));
      assertArrayEquals(new float[] {i / 255f, i / 255f, i / 255f, i / 255f},
          java.util.Arrays.copyOfRange(held.inputs(), k * 4, k * 4 + 4));
    }
  }

  @Test
  void theSameRunIdGivesTheSameDataAndAnotherRunIdAnotherReplayButTheSameHoldout() {
    DataPlanConfig config = new DataPlanConfig(100, 0.2, 1.0);
    TrainingDataPlan a = TrainingDataPlan.of(window(30), REFERENCE, INPUT, config, "labels-1");
    TrainingDataPlan again = TrainingDataPlan.of(window(30), REFERENCE, INPUT, config, "labels-1");
    TrainingDataPlan other = TrainingDataPlan.of(window(30), REFERENCE, INPUT, config, "labels-2");
    assertArrayEquals(a.replayIndices(), again.replayIndices());
    assertEquals(a.trainArrays().ids(), again.trainArrays().ids());
    assertArrayEquals(a.trainArrays().inputs(), again.trainArrays().inputs());
    assertNotEquals(a.trainArrays().ids(), other.trainArrays().ids());
    assertEquals(a.heldOutArrays().ids(), other.heldOutArrays().ids());
    int[] replay = a.replayIndices();
    assertEquals(replay.length, new HashSet<>(java.util.Arrays.stream(replay).boxed().toList()).size());
  }

  @Test
  void replayIsCappedByTheReferenceSizeAndRawImagesFollowTheSameOrder() {
    ImageDataset small = reference(5);
    TrainingDataPlan plan = TrainingDataPlan.of(window(30), small, INPUT, new DataPlanConfig(100, 0.2, 3.0), "r");
    assertEquals(5, plan.replayIndices().length);
    LabeledArrays arrays = plan.trainArrays();
    ImageDataset images = plan.trainImages("run-r");
    assertEquals(arrays.count(), images.size());
    assertEquals("run-r", images.name());
    for (int k = 0; k < images.size(); k++) {
      assertEquals(arrays.labels()[k], images.label(k));
      for (int i = 0; i < 4; i++) {
        assertEquals(arrays.inputs()[k * 4 + i], (images.pixels()[k * 4 + i] & 0xFF) / 255f);
      }
    }
  }

  @Test
  void samplesThatDoNotFitTheModelAreSkippedAndCounted() {
    List<LabeledSample> w = new ArrayList<>(window(10));
    w.add(labeled("wrong-shape", 0, new byte[] {1, 2, 3}, 1, 3));
    w.add(labeled("label-out-of-range", 7, new byte[] {1, 2, 3, 4}, 1, 2, 2));
    w.add(new LabeledSample(1, "tabular", null, Map.of("x", 1.0), 0, "t", 0, 0, 0));
    w.add(new LabeledSample(1, "float", Tensor.ofFloat32(new float[4], 1, 2, 2), null, 0, "t", 0, 0, 0));
    TrainingDataPlan plan = TrainingDataPlan.of(w, REFERENCE, INPUT, new DataPlanConfig(100, 0.2, 0), "x");
    assertEquals(4, plan.skipped());
    assertEquals(10, plan.recentTrain().size() + plan.heldOut().size());
    assertEquals(0, plan.replayIndices().length);
  }

  @Test
  void aReferenceOfAnotherImageSizeIsRejected() {
    ImageDataset big = new ImageDataset("big", 3, 3, new byte[9], new int[] {0}, 3);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> TrainingDataPlan.of(window(3), big, INPUT, DataPlanConfig.defaults(), "x"));
    assertEquals("reference big has images of 9 values but the model takes 4", e.getMessage());
  }

  private static Set<String> intersection(List<String> a, List<String> b) {
    Set<String> s = new HashSet<>(a);
    s.retainAll(new HashSet<>(b));
    return s;
  }
}
