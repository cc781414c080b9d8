package dev.osprey.model.runtime;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import dev.osprey.core.data.ImageDataset;
import dev.osprey.model.InputSpec;
import dev.osprey.model.net.NetworkSpec;
import java.util.Random;
import java.util.function.IntConsumer;

/**
 * A deliberately plain SGD-with-momentum loop that gives exporter, quantizer and benchmark a
 * trained model of any spec without depending on the trainer module. Deterministic for a seed.
 * The real training recipes live in {@code trainer}.
 */
public final class FixtureTrainer {
  private FixtureTrainer() {}

  /**
   * Builds {@code spec}, trains it for {@code steps} mini-batches and returns the model (PyTorch
   * engine; close it).
   *
   * @param progress called with the step number after each step (may be a no-op)
   */
  public static Model train(
      NetworkSpec spec, ImageDataset data, InputSpec input, int steps, int batchSize, float learningRate, long seed,
      IntConsumer progress) {
    Engine engine = Engine.getEngine("PyTorch");
    engine.setRandomSeed((int) seed);
    Model model = Model.newInstance(spec.name(), "PyTorch");
    model.setBlock(spec.build());
    DefaultTrainingConfig config = new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
        .optOptimizer(Optimizer.sgd().setLearningRateTracker(Tracker.fixed(learningRate)).optMomentum(0.9f).build());
    long[] inShape = new long[spec.inputShape().size() + 1];
    inShape[0] = 1;
    for (int i = 0; i < spec.inputShape().size(); i++) {
      inShape[i + 1] = spec.inputShape().get(i);
    }
    Random rnd = new Random(seed);
    int n = data.imageSize();
    try (Trainer trainer = model.newTrainer(config)) {
      trainer.initialize(new Shape(inShape));
      float[] x = new float[batchSize * n];
      float[] y = new float[batchSize];
      float[] raw = new float[n];
      for (int step = 1; step <= steps; step++) {
        for (int b = 0; b < batchSize; b++) {
          int idx = rnd.nextInt(data.size());
          for (int k = 0; k < n; k++) {
            raw[k] = data.pixels()[idx * n + k] & 0xFF;
          }
          input.normalize(raw, x, b * n);
          y[b] = data.label(idx);
        }
        inShape[0] = batchSize;
        try (NDManager m = trainer.getManager().newSubManager()) {
          NDList xs = new NDList(m.create(x, new Shape(inShape)));
          NDList ys = new NDList(m.create(y));
          try (GradientCollector gc = trainer.newGradientCollector()) {
            NDList pred = trainer.forward(xs, ys);
            gc.backward(trainer.getLoss().evaluate(ys, pred));
          }
          trainer.step();
        }
        progress.accept(step);
      }
    }
    return model;
  }
}
