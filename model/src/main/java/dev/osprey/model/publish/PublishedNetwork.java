package dev.osprey.model.publish;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.osprey.model.net.NetworkSpec;
import dev.osprey.model.registry.Architecture;
import dev.osprey.model.registry.FileRoles;
import dev.osprey.model.registry.ModelDraft;
import dev.osprey.model.registry.ModelLoadException;
import dev.osprey.model.registry.ModelVersion;
import dev.osprey.model.runtime.DjlNetwork;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The differentiable network stored in a registry version, and the one owner of how it is stored:
 * the {@link NetworkSpec} under {@code architecture.hyperparameters.}{@value #NETWORK_KEY} and
 * the DJL parameters as the {@link FileRoles#PARAMS} file. {@link #addTo} writes it (the trainer's
 * publishing pipeline does); {@link #load} rebuilds the DJL model from a version — what the
 * PyTorch runtime, fine-tuning, distillation and gradient explanations start from. Imported ONNX
 * models have none.
 */
public final class PublishedNetwork {
  /** Key of the serialized {@link NetworkSpec} in {@code architecture.hyperparameters}. */
  public static final String NETWORK_KEY = "network";

  private static final ObjectMapper JSON = new ObjectMapper();

  private PublishedNetwork() {}

  /**
   * Sets the draft's architecture (the network's name; {@code hyperparameters} plus the spec) and
   * its params file, which is written into {@code work} (a directory that must outlive the publish).
   *
   * @param hyperparameters how it was trained, JSON-friendly values
   * @throws IllegalArgumentException if {@code hyperparameters} uses the reserved key {@value #NETWORK_KEY}
   * @throws IOException if the parameters cannot be written
   */
  public static ModelDraft.Builder addTo(ModelDraft.Builder draft, DjlNetwork network, Map<String, Object> hyperparameters, Path work)
      throws IOException {
    if (hyperparameters.containsKey(NETWORK_KEY)) {
      throw new IllegalArgumentException("hyperparameters must not use the reserved key '" + NETWORK_KEY + "'");
    }
    Map<String, Object> given = new LinkedHashMap<>(hyperparameters);
    given.put(NETWORK_KEY, network.spec());
    Path params = network.save(work.resolve("params"), network.spec().name());
    return draft.setArchitecture(new Architecture(network.spec().name(), jsonValues(given))).setFile(FileRoles.PARAMS, params);
  }

  // through JSON text, so values have the types a loaded manifest has (Double, Integer, List)
  // and a published manifest equals the same manifest read back
  @SuppressWarnings("unchecked")
  private static Map<String, Object> jsonValues(Map<String, Object> given) {
    try {
      return JSON.readValue(JSON.writeValueAsBytes(given), Map.class);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("hyperparameters are not JSON values: " + e.getMessage(), e);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Whether {@link #load} can rebuild this version (it has a network spec and DJL parameters). */
  public static boolean isAvailable(ModelVersion version) {
    return version.hasFile(FileRoles.PARAMS)
        && version.manifest().architecture().hyperparameters().containsKey(NETWORK_KEY);
  }

  /** The network spec recorded in the version's manifest. */
  public static NetworkSpec spec(ModelVersion version) throws ModelLoadException {
    if (!isAvailable(version)) {
      throw new ModelLoadException(version.ref() + " has no DJL network (inference-only, e.g. an imported ONNX model)");
    }
    return JSON.convertValue(version.manifest().architecture().hyperparameters().get(NETWORK_KEY), NetworkSpec.class);
  }

  /**
   * Rebuilds the network from the manifest's spec and loads the version's parameters. The version
   * should come from {@code ModelRegistry.load}, which has verified the files' hashes. Close the result.
   *
   * @throws ModelLoadException if the version is inference-only or its parameters do not fit the spec
   */
  public static DjlNetwork load(ModelVersion version) throws ModelLoadException {
    NetworkSpec spec = spec(version);
    Path params = version.file(FileRoles.PARAMS);
    try {
      return DjlNetwork.load(spec, params.getParent(), spec.name());
    } catch (IOException e) {
      throw new ModelLoadException(version.ref() + ": " + e.getMessage(), e);
    }
  }
}
