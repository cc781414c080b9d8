package dev.osprey.model.runtime;

import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.osprey.core.djl.DjlOfflineGuard;
import dev.osprey.model.net.NetworkSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A trained model directory as the trainer writes it: {@code training.json} (whose {@code spec}
 * field is the {@link NetworkSpec}) and DJL parameters {@code model-NNNN.params}. Loads it into a
 * PyTorch-engine DJL model for export or the {@link PyTorchPredictor}. Close it.
 */
public final class DjlModelDirectory implements AutoCloseable {
  public static final String RECORD_FILE = "training.json";
  public static final String PARAMS_PREFIX = "model";

  private final NetworkSpec spec;
  private final Model model;

  private DjlModelDirectory(NetworkSpec spec, Model model) {
    this.spec = spec;
    this.model = model;
  }

  /**
   * Loads {@code dir}.
   *
   * @throws IOException if {@code training.json} or the parameters are missing or do not match
   */
  public static DjlModelDirectory load(Path dir) throws IOException {
    DjlOfflineGuard.requireActive();
    Path json = dir.resolve(RECORD_FILE);
    if (!Files.isRegularFile(json)) {
      throw new IOException("not a trained model directory (no " + RECORD_FILE + "): " + dir);
    }
    ObjectMapper mapper = new ObjectMapper();
    JsonNode specNode = mapper.readTree(json.toFile()).get("spec");
    if (specNode == null) {
      throw new IOException(json + " has no 'spec' field");
    }
    return load(mapper.treeToValue(specNode, NetworkSpec.class), dir, PARAMS_PREFIX);
  }

  /**
   * Builds {@code spec} and loads its parameters {@code PREFIX-NNNN.params} (the latest) from {@code dir}.
   *
   * @throws IOException if the parameters are missing or do not match the spec
   */
  public static DjlModelDirectory load(NetworkSpec spec, Path dir, String prefix) throws IOException {
    DjlOfflineGuard.requireActive();
    Model model = Model.newInstance(spec.name(), "PyTorch");
    Block block = spec.build();
    model.setBlock(block);
    long[] shape = new long[spec.inputShape().size() + 1];
    shape[0] = 1;
    for (int i = 0; i < spec.inputShape().size(); i++) {
      shape[i + 1] = spec.inputShape().get(i);
    }
    block.initialize(model.getNDManager(), DataType.FLOAT32, new Shape(shape));
    try {
      model.load(dir, prefix);
    } catch (MalformedModelException | IOException | RuntimeException e) {
      model.close();
      throw new IOException("parameters in " + dir + " do not match " + spec.name() + ": " + e.getMessage(), e);
    }
    return new DjlModelDirectory(spec, model);
  }

  /** Wraps an in-memory model (e.g. from {@link FixtureTrainer}); closing this closes it. */
  public static DjlModelDirectory of(NetworkSpec spec, Model model) {
    return new DjlModelDirectory(spec, model);
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

  /** A PyTorch fp32 predictor over this model (close it before this). */
  public PyTorchPredictor newPredictor() {
    return new PyTorchPredictor(spec, model.getBlock(), model.getNDManager());
  }

  @Override
  public void close() {
    model.close();
  }
}
