package dev.osprey.cli.demo;

import dev.osprey.core.config.ConfigSource;
import dev.osprey.trainer.service.TrainerConfig;
import java.time.Duration;
import java.util.Map;

/**
 * The closed-loop scenario ({@code osprey demo --scenario drift}): the trainer runs too, and the
 * replay goes on until {@code samplesAfterSwap} samples after the trainer swapped the model (at
 * most {@link Demo.Options#samples()}). The trainer's settings are the demo's, chosen so that a run is
 * quick (see {@link #trainerConfig(String)}).
 *
 * @param driftMinLabels labels of samples taken after the drift alarm before a run starts
 * @param samplesAfterSwap samples replayed after the swap (the accuracy after it is measured on them)
 * @param epochs fine-tuning epochs (at most: early stopping)
 * @param strategy {@code fine-tune}, {@code re-distill} or {@code auto}
 * @param referenceTrain the trainer's replayed reference set (what the served model trained on)
 * @param referenceTest the gate's forgetting-bound test set
 * @param cooldown the trainer's cooldown after a run: the demo's {@link #ONE_RUN} makes one run per
 *     demo; a shorter one lets a run refused on a false alarm be followed by another (the replay
 *     stops on a refusal only when no run could start again before it ends)
 */
public record LoopScenario(int driftMinLabels, int samplesAfterSwap, int epochs, String strategy, String referenceTrain,
    String referenceTest, Duration cooldown) {
  /** The demo's cooldown: longer than any replay, so one run per demo. */
  public static final Duration ONE_RUN = Duration.ofMinutes(30);

  public LoopScenario {
    if (driftMinLabels < 1 || samplesAfterSwap < 1 || epochs < 1) {
      throw new IllegalArgumentException("driftMinLabels, samplesAfterSwap and epochs must be >= 1, got " + driftMinLabels
          + ", " + samplesAfterSwap + ", " + epochs);
    }
    if (cooldown == null || cooldown.isNegative()) {
      throw new IllegalArgumentException("cooldown must be >= 0, got " + cooldown);
    }
  }

  /** One run per demo ({@link #ONE_RUN}). */
  public LoopScenario(int driftMinLabels, int samplesAfterSwap, int epochs, String strategy, String referenceTrain,
      String referenceTest) {
    this(driftMinLabels, samplesAfterSwap, epochs, strategy, referenceTrain, referenceTest, ONE_RUN);
  }

  /** The demo's: a run after 500 labels since the alarm, 5 epochs at most, 1,500 samples after the swap, on the fixture. */
  public static LoopScenario defaults() {
    return new LoopScenario(500, 1500, 5, "fine-tune", "fixture:train", "fixture:test");
  }

  /**
   * The trainer's settings for the demo: the defaults ({@link TrainerConfig#of}) but a quick run (fine-tune on
   * batches of 64 at LR 1e-3, {@code epochs}, early stopping on 200 examples; 300 calibration
   * images), every layer trained and half a reference digit replayed per recent label (the defaults
   * freeze the first layer and replay one: a rotation needs the first layer to change), one run per demo (cooldown 30 min, no label-count trigger), a gate that decides on 50
   * held-out labels with int8 agreement >= 99% (else the defaults: superiority, forgetting bound 1
   * point, the label guard), and a rollback watch over 200 outcomes.
   */
  public TrainerConfig trainerConfig(String model) {
    Map<String, String> keys = new java.util.LinkedHashMap<>();
    keys.put(TrainerConfig.KEY_MODEL, model);
    keys.put(TrainerConfig.KEY_REFERENCE_TRAIN, referenceTrain);
    keys.put(TrainerConfig.KEY_REFERENCE_TEST, referenceTest);
    keys.put(TrainerConfig.KEY_DRIFT_MIN_LABELS, Integer.toString(driftMinLabels));
    keys.put(TrainerConfig.KEY_NEW_LABELS, "0");
    keys.put(TrainerConfig.KEY_COOLDOWN, cooldown.toString());
    keys.put(TrainerConfig.KEY_WINDOW, "5000");
    // a rotation or noise changes what the first layer must see: train every layer, and replay half as
    // many reference digits as recent labels (the gate's forgetting bound still guards the reference)
    keys.put(TrainerConfig.KEY_FROZEN_LAYERS, "0");
    keys.put(TrainerConfig.KEY_REPLAY, "0.5");
    keys.put(TrainerConfig.KEY_STRATEGY, strategy);
    keys.put(TrainerConfig.KEY_EPOCHS, Integer.toString(epochs));
    keys.put(TrainerConfig.KEY_BATCH_SIZE, "64");
    keys.put(TrainerConfig.KEY_LEARNING_RATE, "1e-3");
    keys.put(TrainerConfig.KEY_VALIDATION, "200");
    keys.put(TrainerConfig.KEY_TEACHER_EPOCHS, Integer.toString(Math.max(1, epochs / 2)));
    keys.put(TrainerConfig.KEY_DISTILL_EPOCHS, Integer.toString(epochs));
    keys.put(TrainerConfig.KEY_CALIBRATION, "300");
    // held out: 20% of the window's labels (clean and drifted) when the run starts
    keys.put(TrainerConfig.KEY_GATE_MIN_HELD_OUT, "50");
    // the MLP's int8 plan calibrated on 300 images agrees with its fp32 graph on ~99.4-99.7% of samples
    keys.put(TrainerConfig.KEY_GATE_INT8, "0.99");
    keys.put(TrainerConfig.KEY_ROLLBACK_OUTCOMES, "200");
    return TrainerConfig.from(ConfigSource.of(keys));
  }

  /** One line for the demo's output. */
  public String describe() {
    return "drift trigger at " + driftMinLabels + " labels since the alarm, " + strategy + " (" + epochs
        + " epochs at most, batches of 64, LR 1e-3, no layer frozen, 0.5 reference digits replayed per label), 300 calibration "
        + "images, gate on >= 50 held-out labels and int8 agreement "
        + ">= 99%, "
        + "rollback watch over 200 outcomes, " + (cooldown.compareTo(ONE_RUN) >= 0 ? "one run per demo"
        : "cooldown " + cooldown.toSeconds() + " s between runs") + "; reference " + referenceTrain + " / " + referenceTest;
  }
}
