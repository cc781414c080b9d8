package dev.osprey.trainer.service;

import dev.osprey.core.data.ImageDataset;
import dev.osprey.model.InputSpec;
import dev.osprey.model.registry.FileRoles;
import dev.osprey.model.registry.ModelVersion;
import dev.osprey.model.runtime.ImageBatches;
import dev.osprey.model.runtime.OnnxPredictor;
import dev.osprey.model.runtime.OrtConfig;
import dev.osprey.model.runtime.Predictions;
import dev.osprey.model.runtime.PredictorException;
import dev.osprey.trainer.loop.GateEvidence;
import dev.osprey.trainer.loop.LabeledArrays;
import java.nio.file.Path;

/**
 * The predictions the promotion gate compares, on one run's held-out slice and on the reference
 * test set. The champion's and the teacher's are computed once per run (they also feed the
 * strategy choice); the candidate's come from its exported graphs, either in the publishing
 * pipeline's work directory (before the version exists, so the gate's figures go into its
 * manifest) or from the registry (when a restarted trainer gates a published version again).
 *
 * <p>Champion and candidate are compared in fp32, the same precision on both sides; the candidate's
 * int8 graph is checked against its fp32 graph on the held-out and reference samples together.
 */
final class GateMeasurement {
  private static final int BATCH = 250;

  private final int inputSize;
  private final float[] heldOut;
  private final int[] heldOutLabels;
  private final float[] reference;
  private final int[] referenceLabels;
  private final int[] championHeldOut;
  private final int[] championReference;
  private final int[] teacherHeldOut;
  private final int[] teacherReference;
  private final int threads;

  /**
   * @param teacher the champion's lineage teacher, or null (the label-quality guard is then skipped)
   * @throws PredictorException if a model cannot be run
   */
  GateMeasurement(InputSpec input, LabeledArrays heldOutSlice, ImageDataset referenceTest, ModelVersion champion,
      ModelVersion teacher, int threads) throws PredictorException {
    this.inputSize = input.size();
    this.threads = threads;
    this.heldOut = heldOutSlice.inputs();
    this.heldOutLabels = heldOutSlice.labels();
    this.reference = ImageBatches.normalize(referenceTest, input, 0, referenceTest.size());
    this.referenceLabels = ImageBatches.labels(referenceTest, 0, referenceTest.size());
    Path championGraph = champion.file(FileRoles.FP32_ONNX);
    this.championHeldOut = classes(championGraph, heldOut);
    this.championReference = classes(championGraph, reference);
    if (teacher != null) {
      Path teacherGraph = teacher.file(FileRoles.FP32_ONNX);
      this.teacherHeldOut = classes(teacherGraph, heldOut);
      this.teacherReference = classes(teacherGraph, reference);
    } else {
      this.teacherHeldOut = null;
      this.teacherReference = null;
    }
  }

  /** The champion's accuracy on the held-out slice; NaN when it is empty. */
  double championHeldOutAccuracy() {
    return accuracy(heldOutLabels, championHeldOut);
  }

  /** The champion's accuracy on the reference test set. */
  double championReferenceAccuracy() {
    return accuracy(referenceLabels, championReference);
  }

  boolean hasTeacher() {
    return teacherHeldOut != null;
  }

  /** Everything the gate needs, with the candidate's predictions from its fp32 and int8 graphs. */
  GateEvidence evidence(Path candidateFp32, Path candidateInt8) throws PredictorException {
    int[] candHeld = classes(candidateFp32, heldOut);
    int[] candRef = classes(candidateFp32, reference);
    int[] int8Held = classes(candidateInt8, heldOut);
    int[] int8Ref = classes(candidateInt8, reference);
    return new GateEvidence(heldOutLabels, championHeldOut, candHeld, teacherHeldOut, referenceLabels,
        championReference, candRef, teacherReference, concat(candHeld, candRef), concat(int8Held, int8Ref));
  }

  private int[] classes(Path graph, float[] x) throws PredictorException {
    int n = x.length / inputSize;
    int[] out = new int[n];
    try (OnnxPredictor p = OnnxPredictor.openCpu(graph, OrtConfig.cpu(threads))) {
      for (int from = 0; from < n; from += BATCH) {
        int count = Math.min(BATCH, n - from);
        float[] batch = new float[count * inputSize];
        System.arraycopy(x, from * inputSize, batch, 0, batch.length);
        Predictions pred = p.predict(batch, count);
        for (int i = 0; i < count; i++) {
          out[from + i] = pred.argmax(i);
        }
      }
    }
    return out;
  }

  private static int[] concat(int[] a, int[] b) {
    int[] out = new int[a.length + b.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  private static double accuracy(int[] labels, int[] predicted) {
    if (labels.length == 0) {
      return Double.NaN;
    }
    int right = 0;
    for (int i = 0; i < labels.length; i++) {
      right += labels[i] == predicted[i] ? 1 : 0;
    }
    return (double) right / labels.length;
  }
}
