package dev.osprey.model.runtime;

import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.initializer.NormalInitializer;
import dev.osprey.core.djl.DjlOfflineGuard;
import dev.osprey.model.net.NetworkSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * A differentiable classifier in memory: a DJL model (PyTorch engine, fp32) built from its
 * {@link NetworkSpec}, with its parameters. What training changes, what ONNX export reads, what
 * fine-tuning, distillation and gradient explanations start from. It knows no file format beyond
 * DJL's {@code PREFIX-NNNN.params}: a trained directory ({@code trainer}) or a registry version
 * ({@code PublishedNetwork}) says where the parameters are. Not thread-safe; close it.
 */
public final class DjlNetwork implements AutoCloseable {
  public static final String ENGINE = "PyTorch";

  // a near-zero head makes the initial logits ~0, so the initial loss is ~ln(classes)
  private static final float HEAD_INIT_STD = 0.01f;

  private final NetworkSpec spec;
  private final Model model;

  private DjlNetwork(NetworkSpec spec, Model model) {
    this.spec = spec;
    this.model = model;
  }

  /** A fresh network with parameters initialized from DJL's engine seeded with {@code seed}. */
  public static DjlNetwork create(NetworkSpec spec, int seed) {
    DjlOfflineGuard.requireActive();
    Engine.getEngine(ENGINE).setRandomSeed(seed);
    Model model = Model.newInstance(spec.name(), ENGINE);
    Block block = spec.build();
    model.setBlock(block);
    block.getChildren().get(NetworkSpec.HEAD).getValue()
        .setInitializer(new NormalInitializer(HEAD_INIT_STD), Parameter.Type.WEIGHT);
    block.initialize(model.getNDManager(), DataType.FLOAT32, batchShape(spec, 1));
    return new DjlNetwork(spec, model);
  }

  /**
   * Builds {@code spec} and loads its parameters {@code PREFIX-NNNN.params} (the latest) from {@code dir}.
   *
   * @throws IOException if the parameters are missing or do not match the spec
   */
  public static DjlNetwork load(NetworkSpec spec, Path dir, String prefix) throws IOException {
    DjlOfflineGuard.requireActive();
    Model model = Model.newInstance(spec.name(), ENGINE);
    Block block = spec.build();
    model.setBlock(block);
    block.initialize(model.getNDManager(), DataType.FLOAT32, batchShape(spec, 1));
    try {
      model.load(dir, prefix);
    } catch (MalformedModelException | IOException | RuntimeException e) {
      model.close();
      throw new IOException("parameters in " + dir + " do not match " + spec.name() + ": " + e.getMessage(), e);
    }
    return new DjlNetwork(spec, model);
  }

  /** Wraps an in-memory model (e.g. from {@link FixtureTrainer}); closing this closes it. */
  public static DjlNetwork of(NetworkSpec spec, Model model) {
    return new DjlNetwork(spec, model);
  }

  /**
   * Writes the parameters as {@code PREFIX-NNNN.params} into {@code dir} (DJL's convention).
   *
   * @return the file written
   */
  public Path save(Path dir, String prefix) throws IOException {
    Files.createDirectories(dir);
    model.save(dir, prefix);
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(p -> p.getFileName().toString().startsWith(prefix + "-") && p.getFileName().toString().endsWith(".params"))
          .max(Comparator.naturalOrder())
          .orElseThrow(() -> new IOException("DJL wrote no " + prefix + "-*.params file into " + dir));
    }
  }

  /**
   * A new network with this backbone's parameters (copied) and a fresh {@code classes}-way head
   * initialized with {@code seed}. This one is left unchanged.
   */
  public DjlNetwork withNewHead(int classes, int seed) {
    DjlNetwork fresh = create(spec.withClasses(classes), seed);
    for (int stage : new int[] {NetworkSpec.FEATURES, NetworkSpec.EMBEDDING}) {
      List<Parameter> from = block().getChildren().get(stage).getValue().getParameters().values();
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

  public Model model() {
    return model;
  }

  public Block block() {
    return model.getBlock();
  }

  public NDManager manager() {
    return model.getNDManager();
  }

  /** A PyTorch fp32 predictor over this network (close it before this). */
  public PyTorchPredictor newPredictor() {
    return new PyTorchPredictor(spec, model.getBlock(), model.getNDManager());
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

  @Override
  public void close() {
    model.close();
  }
}
