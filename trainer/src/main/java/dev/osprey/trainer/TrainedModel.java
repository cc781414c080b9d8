package dev.osprey.trainer;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.initializer.NormalInitializer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.osprey.core.djl.DjlOfflineGuard;
import dev.osprey.model.arch.NetworkActivations;
import dev.osprey.model.net.NetworkSpec;
import dev.osprey.model.runtime.DjlModelDirectory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A DJL (PyTorch) classifier built from a {@link NetworkSpec}, with its training record. On disk
 * it is a directory: {@code model-0000.params} (DJL parameters), {@code training.json}
 * ({@link TrainingRecord}, including the spec) and {@code curves.png}. Not thread-safe.
 */
public final class TrainedModel implements AutoCloseable, LogitsFunction {
  public static final String PARAMS_PREFIX = "model";
  public static final String RECORD_FILE = "training.json";
  public static final String CURVES_FILE = "curves.png";
  public static final String ENGINE = "PyTorch";

  private static final float HEAD_INIT_STD = 0.01f;

  static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private final NetworkSpec spec;
  private final Model model;
  private TrainingRecord record;

  private TrainedModel(NetworkSpec spec, Model model, TrainingRecord record) {
    this.spec = spec;
    this.model = model;
    this.record = record;
  }

  /** A fresh network with parameters initialized from DJL's engine seeded with {@code seed}. */
  public static TrainedModel create(NetworkSpec spec, int seed) {
    DjlOfflineGuard.requireActive();
    Engine.getEngine(ENGINE).setRandomSeed(seed);
    Model model = Model.newInstance(spec.name(), ENGINE);
    Block block = spec.build();
    model.setBlock(block);
    // A near-zero head makes the initial logits ~0, so the initial loss is ~ln(classes).
    block.getChildren().get(NetworkSpec.HEAD).getValue()
        .setInitializer(new NormalInitializer(HEAD_INIT_STD), Parameter.Type.WEIGHT);
    block.initialize(model.getNDManager(), DataType.FLOAT32, batchShape(spec, 1));
    return new TrainedModel(spec, model, null);
  }

  /**
   * Loads a model directory written by {@link #save}.
   *
   * @throws IOException if files are missing or do not match the spec
   */
  public static TrainedModel load(Path dir) throws IOException {
    DjlOfflineGuard.requireActive();
    Path json = dir.resolve(RECORD_FILE);
    if (!Files.isRegularFile(json)) {
      throw new IOException("not a trained model directory (no " + RECORD_FILE + "): " + dir);
    }
    TrainingRecord record = JSON.readValue(json.toFile(), TrainingRecord.class);
    // the same build-then-load the model module uses; this TrainedModel owns (and closes) the model
    DjlModelDirectory loaded = DjlModelDirectory.load(record.spec(), dir, PARAMS_PREFIX);
    return new TrainedModel(record.spec(), loaded.model(), record);
  }

  /** Writes parameters, {@code training.json} and (when there is history) {@code curves.png}. */
  public void save(Path dir, TrainingRecord newRecord) throws IOException {
    Files.createDirectories(dir);
    model.save(dir, PARAMS_PREFIX);
    JSON.writeValue(dir.resolve(RECORD_FILE).toFile(), newRecord);
    if (!newRecord.history().isEmpty()) {
      TrainingCurves.save(newRecord, dir.resolve(CURVES_FILE));
    }
    this.record = newRecord;
  }

  /**
   * A new model with this backbone's parameters (copied) and a fresh {@code classes}-way head
   * initialized with {@code seed}.
   */
  public TrainedModel withNewHead(int classes, int seed) {
    TrainedModel fresh = create(spec.withClasses(classes), seed);
    for (int stage : new int[] {NetworkSpec.FEATURES, NetworkSpec.EMBEDDING}) {
      List<Parameter> from = model.getBlock().getChildren().get(stage).getValue().getParameters().values();
      List<Parameter> to = fresh.block().getChildren().get(stage).getValue().getParameters().values();
      for (int i = 0; i < from.size(); i++) {
        to.get(i).getArray().set(from.get(i).getArray().toFloatArray());
      }
    }
    return fresh;
  }

  public NetworkSpec spec() {
    return spec;
  }

  /** The training record loaded or last saved; null for a fresh model. */
  public TrainingRecord record() {
    return record;
  }

  public Block block() {
    return model.getBlock();
  }

  public Model model() {
    return model;
  }

  public NDManager manager() {
    return model.getNDManager();
  }

  /** [count, C, H, W] (or [count, ...inputShape]) for this spec. */
  public static Shape batchShape(NetworkSpec spec, int count) {
    long[] dims = new long[spec.inputShape().size() + 1];
    dims[0] = count;
    for (int i = 0; i < spec.inputShape().size(); i++) {
      dims[i + 1] = spec.inputShape().get(i);
    }
    return new Shape(dims);
  }

  /** Inference-mode logits for {@code count} normalized samples. */
  @Override
  public float[][] logits(float[] batch, int count) {
    try (NDManager scope = manager().newSubManager()) {
      NDArray x = scope.create(batch, batchShape(spec, count));
      return rows(NetworkActivations.of(block(), x).logits());
    }
  }

  /** An [N, K] array as N rows. */
  static float[][] rows(NDArray matrix) {
    int n = (int) matrix.getShape().get(0);
    int k = (int) matrix.getShape().get(1);
    float[] flat = matrix.toFloatArray();
    float[][] out = new float[n][k];
    for (int i = 0; i < n; i++) {
      System.arraycopy(flat, i * k, out[i], 0, k);
    }
    return out;
  }

  @Override
  public void close() {
    model.close();
  }
}
