package dev.osprey.model.publish;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.osprey.model.net.NetworkSpec;
import dev.osprey.model.registry.FileRoles;
import dev.osprey.model.registry.ModelLoadException;
import dev.osprey.model.registry.ModelVersion;
import dev.osprey.model.runtime.DjlModelDirectory;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The differentiable (DJL, PyTorch engine) network of a registry version that
 * {@link ModelPackager} published: what fine-tuning, distillation and gradient-based explanations
 * start from. Imported ONNX models have none.
 */
public final class PublishedNetwork {
  private static final ObjectMapper JSON = new ObjectMapper();

  private PublishedNetwork() {}

  /** Whether {@link #load} can rebuild this version (it has a network spec and DJL parameters). */
  public static boolean isAvailable(ModelVersion version) {
    return version.hasFile(FileRoles.PARAMS)
        && version.manifest().architecture().hyperparameters().containsKey(ModelPackager.NETWORK_KEY);
  }

  /** The network spec recorded in the version's manifest. */
  public static NetworkSpec spec(ModelVersion version) throws ModelLoadException {
    if (!isAvailable(version)) {
      throw new ModelLoadException(version.ref() + " has no DJL network (inference-only, e.g. an imported ONNX model)");
    }
    return JSON.convertValue(version.manifest().architecture().hyperparameters().get(ModelPackager.NETWORK_KEY), NetworkSpec.class);
  }

  /**
   * Rebuilds the network from the manifest's spec and loads the version's parameters. The version
   * should come from {@code ModelRegistry.load}, which has verified the files' hashes. Close the result.
   *
   * @throws ModelLoadException if the version is inference-only or its parameters do not fit the spec
   */
  public static DjlModelDirectory load(ModelVersion version) throws ModelLoadException {
    NetworkSpec spec = spec(version);
    Path params = version.file(FileRoles.PARAMS);
    try {
      return DjlModelDirectory.load(spec, params.getParent(), spec.name());
    } catch (IOException e) {
      throw new ModelLoadException(version.ref() + ": " + e.getMessage(), e);
    }
  }
}
