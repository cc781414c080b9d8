package dev.osprey.trainer;

import dev.osprey.model.runtime.Predictor;
import java.util.List;

/** What the student is trained to match. */
public sealed interface Objective {

  /** Hard labels only (with the hyperparameters' label smoothing). */
  record HardLabels() implements Objective {}

  /**
   * Hinton distillation from one teacher or the average of several teachers' soft targets. The
   * teachers run in inference mode outside the gradient collector, so they get no gradients. Any
   * {@link Predictor} can teach (a DJL network's PyTorch predictor, an ONNX graph); they must
   * take the student's normalized input. The caller owns and closes them.
   */
  record Distillation(List<Predictor> teachers, float temperature, float alpha) implements Objective {
    public Distillation {
      teachers = List.copyOf(teachers);
      if (teachers.isEmpty()) {
        throw new IllegalArgumentException("distillation needs at least one teacher");
      }
      if (temperature <= 0) {
        throw new IllegalArgumentException("temperature must be > 0, got " + temperature);
      }
      if (alpha < 0 || alpha > 1) {
        throw new IllegalArgumentException("alpha must be in [0, 1], got " + alpha);
      }
    }
  }
}
