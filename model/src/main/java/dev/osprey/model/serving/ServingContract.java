package dev.osprey.model.serving;

import dev.osprey.core.event.ModelActivation;
import dev.osprey.model.registry.ModelLoadException;
import dev.osprey.model.registry.ModelManifest;
import dev.osprey.model.registry.ModelRegistry;
import java.util.List;
import java.util.Optional;

/**
 * What every version a service serves under one model name must share with the model it replaces
 * (input dtype and shape, labels: {@link ModelLoader#checkFits}), and where a starting service
 * takes it from. A running service compares each activation with the model it serves; a starting
 * one serves nothing yet, and checking nothing would let it serve a version it refused while it
 * ran. Its reference at start is, in this order:
 *
 * <ol>
 *   <li>the oldest activation in the models topic whose version loads, when it is not the newest
 *       activation: that is the model a service running since then served first, and every later
 *       one it accepted had the same contract;
 *   <li>otherwise (compaction kept only the newest activation, or only it loads) the newest
 *       version below the newest activation's that loads from the registry: the contract its
 *       predecessors declared;
 *   <li>otherwise none: the first version of a name declares the contract.
 * </ol>
 *
 * To change a model's input or labels, publish it under a new model name.
 */
record ServingContract(ModelManifest manifest, String source) {
  /** The reference a starting service checks activations against, if any. */
  static Optional<ServingContract> atStart(ModelRegistry registry, List<ModelActivation> log) {
    if (log.isEmpty()) {
      return Optional.empty();
    }
    for (int i = 0; i < log.size() - 1; i++) {
      ModelActivation a = log.get(i);
      Optional<ModelManifest> m = loads(registry, a.modelName(), a.version());
      if (m.isPresent() && a.version() != log.get(log.size() - 1).version()) {
        return Optional.of(new ServingContract(m.get(), "the oldest loadable activation in the models topic"));
      }
    }
    ModelActivation newest = log.get(log.size() - 1);
    List<Integer> versions = registry.versions(newest.modelName());
    for (int i = versions.size() - 1; i >= 0; i--) {
      int v = versions.get(i);
      if (v < newest.version()) {
        Optional<ModelManifest> m = loads(registry, newest.modelName(), v);
        if (m.isPresent()) {
          return Optional.of(new ServingContract(m.get(), "the registry's previous version"));
        }
      }
    }
    return Optional.empty();
  }

  private static Optional<ModelManifest> loads(ModelRegistry registry, String name, int version) {
    try {
      return Optional.of(registry.load(name, version).manifest());
    } catch (ModelLoadException | RuntimeException e) {
      return Optional.empty();
    }
  }

  @Override
  public String toString() {
    return manifest.ref() + " (" + source + ")";
  }
}
