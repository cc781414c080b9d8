package dev.osprey.trainer;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.optimizer.Optimizer;
import dev.osprey.core.data.ImageDataset;
import dev.osprey.model.InputSpec;
import dev.osprey.model.net.NetworkSpec;
import dev.osprey.model.runtime.DjlNetwork;
import dev.osprey.model.runtime.GradientLock;
import dev.osprey.model.runtime.ImageBatches;
import dev.osprey.model.runtime.Predictions;
import dev.osprey.model.runtime.Predictor;
import dev.osprey.model.runtime.PredictorException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Random;
import java.util.concurrent.CancellationException;
import java.util.function.Predicate;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The training loop shared by all recipes: Adam with L2 weight decay, linear warmup then cosine
 * LR, label smoothing, jitter/noise augmentation, a seeded validation split with early stopping
 * that keeps the best epoch's parameters, an optional frozen part of the backbone and optional
 * pruning masks. One {@link GradientCollector} is open per step and closed before the update.
 *
 * <p>Frozen layers run in inference mode (batch-norm statistics untouched, dropout off), so a
 * frozen backbone stays bit-identical.
 */
public final class ClassifierTrainer {
  /** Batch-norm running statistics are state, not learnable parameters. */
  private static final Predicate<Parameter> LEARNABLE =
      p -> p.getType() != Parameter.Type.RUNNING_MEAN && p.getType() != Parameter.Type.RUNNING_VAR;

  private static final int EVAL_BATCH = 500;
  private static final Logger LOG = LoggerFactory.getLogger(ClassifierTrainer.class);

  private final InputSpec input;
  private final boolean showProgress;
  private final Cancellation cancellation;

  public ClassifierTrainer(InputSpec input, boolean showProgress) {
    this(input, showProgress, Cancellation.NEVER);
  }

  /** @param cancellation checked before every batch: {@link #fit} throws {@link CancellationException} when it asks */
  public ClassifierTrainer(InputSpec input, boolean showProgress, Cancellation cancellation) {
    this.input = input;
    this.showProgress = showProgress;
    this.cancellation = Objects.requireNonNull(cancellation, "cancellation");
  }

  /** The outcome of {@link #fit}. */
  public record Run(List<EpochStats> history, int bestEpoch, double bestValidationAccuracy, int trainCount, int validationCount, double seconds) {}

  /**
   * Trains {@code net} in place.
   *
   * @param frozenLayers backbone layers (features then embedding, counted from the input) kept
   *     frozen; 0 trains everything, {@link Integer#MAX_VALUE} freezes the whole backbone
   * @param masks pruning masks re-applied after each step ({@link PruningMasks#none()} for none)
   * @param title shown in the progress bar
   * @throws CancellationException if the cancellation asks, checked before every
   *     batch; {@code net} is then part-trained, its parameters still requiring gradients: close it
   */
  public Run fit(
      DjlNetwork net,
      ImageDataset train,
      Hyperparameters hp,
      Objective objective,
      int frozenLayers,
      PruningMasks masks,
      String title) {
    long start = System.nanoTime();
    Engine.getEngine(DjlNetwork.ENGINE).setRandomSeed(hp.seed());
    Random rng = new Random(hp.seed());
    ImageBatches batches = new ImageBatches(train, input);
    int[] all = ImageBatches.range(train.size());
    ImageBatches.shuffle(all, rng);
    int valCount = Math.min(hp.validationCount(), train.size() / 5);
    int trainCount = train.size() - valCount;
    int[] trainIdx = java.util.Arrays.copyOfRange(all, 0, trainCount);
    int[] valIdx = java.util.Arrays.copyOfRange(all, trainCount, train.size());
    if (trainCount < hp.batchSize()) {
      throw new IllegalArgumentException("batchSize " + hp.batchSize() + " exceeds the " + trainCount + " training examples");
    }

    List<Block> layers = layers(net);
    int headIndex = layers.size() - 1;
    boolean[] trainable = new boolean[layers.size()];
    for (int i = 0; i < layers.size(); i++) {
      trainable[i] = i == headIndex || i >= frozenLayers;
      layers.get(i).freezeParameters(!trainable[i], LEARNABLE);
    }
    List<Parameter> params = new ArrayList<>();
    for (int i = 0; i < layers.size(); i++) {
      if (trainable[i]) {
        for (Parameter p : layers.get(i).getParameters().values()) {
          if (p.requiresGradient()) {
            params.add(p);
          }
        }
      }
    }

    Objective.Distillation distill = objective instanceof Objective.Distillation d ? d : null;
    boolean augment = hp.jitterPixels() > 0 || hp.noiseStd() > 0;
    // Without augmentation the teachers see each example identically every epoch: run them once.
    List<float[][]> cachedTeacherLogits = distill != null && !augment ? teacherLogits(distill, batches, all, cancellation) : null;

    int stepsPerEpoch = trainCount / hp.batchSize();
    int totalSteps = stepsPerEpoch * hp.epochs();
    LearningRateSchedule schedule = new LearningRateSchedule(
        hp.learningRate(), Math.min((int) (hp.warmupFraction() * totalSteps), totalSteps - 1), totalSteps);
    Optimizer optimizer = Optimizer.adam().optLearningRateTracker(schedule).optWeightDecays(hp.weightDecay()).build();

    int classes = net.spec().classes();
    NDManager manager = net.manager();
    ParameterStore store = new ParameterStore(manager, false);
    Shape inShape = DjlNetwork.batchShape(net.spec(), hp.batchSize());
    List<EpochStats> history = new ArrayList<>();
    float[][] best = null;
    int bestEpoch = 0;
    double bestAcc = Double.NEGATIVE_INFINITY;
    int step = 0;
    for (int epoch = 1; epoch <= hp.epochs(); epoch++) {
      long epochStart = System.nanoTime();
      ImageBatches.shuffle(trainIdx, rng);
      double lossSum = 0;
      long correct = 0;
      try (ProgressBar bar = progressBar(title + " " + epoch + "/" + hp.epochs(), stepsPerEpoch)) {
        for (int s = 0; s < stepsPerEpoch; s++) {
          cancellation.check(title + " epoch " + epoch + " batch " + (s + 1) + "/" + stepsPerEpoch);
          int from = s * hp.batchSize();
          int to = from + hp.batchSize();
          float[] x = batches.batch(trainIdx, from, to, hp.jitterPixels(), hp.noiseStd(), rng);
          int[] labels = batches.labels(trainIdx, from, to);
          float[] soft = null;
          if (distill != null) {
            List<float[][]> teacherRows = new ArrayList<>();
            if (cachedTeacherLogits != null) {
              for (float[][] t : cachedTeacherLogits) {
                float[][] rows = new float[to - from][];
                for (int b = from; b < to; b++) {
                  rows[b - from] = t[trainIdx[b]];
                }
                teacherRows.add(rows);
              }
            } else {
              for (Predictor teacher : distill.teachers()) {
                teacherRows.add(logitRows(teacher, x, to - from));
              }
            }
            soft = DistillationLoss.averageSoftTargets(teacherRows, distill.temperature());
          }
          float lossValue;
          try (NDManager scope = manager.newSubManager()) {
            NDArray in = scope.create(x, inShape);
            NDArray hard = scope.create(DistillationLoss.smoothedOneHot(labels, classes, hp.labelSmoothing()), new Shape(labels.length, classes));
            NDArray softTargets = soft == null ? null : scope.create(soft, new Shape(labels.length, classes));
            NDArray logits;
            // one collector per process (explainers in the same process take it too): held for the step and its update
            GradientLock.get().lock();
            try {
              try (GradientCollector collector = Engine.getEngine(DjlNetwork.ENGINE).newGradientCollector()) {
                logits = forward(layers, trainable, store, in, true);
                NDArray loss = distill == null
                    ? DistillationLoss.crossEntropy(logits, hard)
                    : DistillationLoss.loss(logits, hard, softTargets, distill.alpha(), distill.temperature());
                collector.backward(loss);
                lossValue = loss.getFloat();
              }
              for (Parameter p : params) {
                NDArray weight = p.getArray();
                NDArray grad = weight.getGradient();
                optimizer.update(p.getId(), weight, grad);
                grad.subi(grad);
                grad.close();
              }
            } finally {
              GradientLock.get().unlock();
            }
            correct += countCorrect(logits, labels);
            masks.apply();
          }
          step++;
          lossSum += lossValue;
          if (bar != null) {
            bar.step();
            bar.setExtraMessage(String.format(Locale.ROOT, " loss %.4f acc %.4f lr %.2e", lossSum / (s + 1),
                (double) correct / ((s + 1) * (long) hp.batchSize()), schedule.getNewValue(step)));
          }
        }
      }
      double valAcc = valIdx.length == 0 ? Double.NaN : accuracy(layers, store, net, batches, valIdx);
      double trainAcc = (double) correct / ((long) stepsPerEpoch * hp.batchSize());
      EpochStats stats = new EpochStats(epoch, lossSum / stepsPerEpoch, trainAcc, valAcc, schedule.getNewValue(step), (System.nanoTime() - epochStart) / 1e9);
      history.add(stats);
      LOG.info("{} epoch {}/{}: loss {} train acc {} val acc {} ({} s)", title, epoch, hp.epochs(),
          String.format(Locale.ROOT, "%.4f", stats.trainLoss()), String.format(Locale.ROOT, "%.4f", trainAcc),
          String.format(Locale.ROOT, "%.4f", valAcc), String.format(Locale.ROOT, "%.0f", stats.seconds()));
      double score = Double.isNaN(valAcc) ? trainAcc : valAcc;
      if (score > bestAcc) {
        bestAcc = score;
        bestEpoch = epoch;
        best = snapshot(net);
      } else if (epoch - bestEpoch >= hp.patience()) {
        break;
      }
    }
    for (Parameter p : params) {
      p.getArray().setRequiresGradient(false);
    }
    restore(net, best);
    return new Run(history, bestEpoch, bestAcc, trainCount, valCount, (System.nanoTime() - start) / 1e9);
  }

  /** Top-1 accuracy of {@code net} on {@code indices} of the batches' dataset, inference mode. */
  public static double accuracy(DjlNetwork net, ImageBatches batches, int[] indices) {
    return accuracy(layers(net), new ParameterStore(net.manager(), false), net, batches, indices);
  }

  private static double accuracy(List<Block> layers, ParameterStore store, DjlNetwork net, ImageBatches batches, int[] indices) {
    long correct = 0;
    boolean[] none = new boolean[layers.size()];
    for (int from = 0; from < indices.length; from += EVAL_BATCH) {
      int to = Math.min(indices.length, from + EVAL_BATCH);
      try (NDManager scope = net.manager().newSubManager()) {
        NDArray in = scope.create(batches.batch(indices, from, to), DjlNetwork.batchShape(net.spec(), to - from));
        correct += countCorrect(forward(layers, none, store, in, false), batches.labels(indices, from, to));
      }
    }
    return (double) correct / indices.length;
  }

  private static List<float[][]> teacherLogits(Objective.Distillation distill, ImageBatches batches, int[] indices,
      Cancellation cancellation) {
    int n = batches.data().size();
    int[] ordered = ImageBatches.range(n);
    List<float[][]> out = new ArrayList<>();
    for (Predictor teacher : distill.teachers()) {
      float[][] logits = new float[n][];
      for (int from = 0; from < n; from += EVAL_BATCH) {
        cancellation.check("the teachers' logits");
        int to = Math.min(n, from + EVAL_BATCH);
        float[][] rows = logitRows(teacher, batches.batch(ordered, from, to), to - from);
        System.arraycopy(rows, 0, logits, from, to - from);
      }
      out.add(logits);
    }
    return out;
  }

  /** A teacher's logits for a batch, one row per sample. */
  private static float[][] logitRows(Predictor teacher, float[] batch, int count) {
    Predictions p;
    try {
      p = teacher.predict(batch, count);
    } catch (PredictorException e) {
      throw new IllegalStateException("teacher failed on a batch of " + count + ": " + e.getMessage(), e);
    }
    float[][] rows = new float[count][];
    for (int i = 0; i < count; i++) {
      rows[i] = p.logits(i);
    }
    return rows;
  }

  /** The layers of all three stages in forward order. */
  static List<Block> layers(DjlNetwork net) {
    List<Block> out = new ArrayList<>();
    for (int stage = 0; stage < 3; stage++) {
      out.addAll(net.block().getChildren().get(stage).getValue().getChildren().values());
    }
    if (out.size() != net.spec().features().size() + net.spec().embedding().size() + 1) {
      throw new IllegalStateException("block of " + net.spec().name() + " does not match its spec");
    }
    return out;
  }

  private static NDArray forward(List<Block> layers, boolean[] trainable, ParameterStore store, NDArray x, boolean training) {
    NDArray h = x;
    for (int i = 0; i < layers.size(); i++) {
      h = layers.get(i).forward(store, new NDList(h), training && trainable[i]).singletonOrThrow();
    }
    return h;
  }

  private static long countCorrect(NDArray logits, int[] labels) {
    int[] predicted = logits.argMax(1).toType(DataType.INT32, false).toIntArray();
    long correct = 0;
    for (int i = 0; i < labels.length; i++) {
      if (predicted[i] == labels[i]) {
        correct++;
      }
    }
    return correct;
  }

  private static float[][] snapshot(DjlNetwork net) {
    List<Parameter> params = net.block().getParameters().values();
    float[][] copy = new float[params.size()][];
    for (int i = 0; i < copy.length; i++) {
      copy[i] = params.get(i).getArray().toFloatArray();
    }
    return copy;
  }

  private static void restore(DjlNetwork net, float[][] snapshot) {
    if (snapshot == null) {
      return;
    }
    List<Parameter> params = net.block().getParameters().values();
    for (int i = 0; i < snapshot.length; i++) {
      params.get(i).getArray().set(snapshot[i]);
    }
  }

  private ProgressBar progressBar(String task, int steps) {
    if (!showProgress) {
      return null;
    }
    return new ProgressBarBuilder()
        .setTaskName(task)
        .setInitialMax(steps)
        .setStyle(ProgressBarStyle.ASCII)
        .setUpdateIntervalMillis(1000)
        .setMaxRenderedLength(120)
        .build();
  }
}
