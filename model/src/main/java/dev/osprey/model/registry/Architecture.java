package dev.osprey.model.registry;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * Which network a version holds and how it was configured, enough to rebuild the block before
 * loading its parameters.
 *
 * @param name architecture name, e.g. "mlp", "lenet", or {@link #IMPORTED} for a user's ONNX model
 * @param hyperparameters JSON-friendly values (numbers, strings, booleans, lists), sorted by key
 */
public record Architecture(String name, Map<String, Object> hyperparameters) {
  /** Architecture name of an imported, inference-only ONNX model. */
  public static final String IMPORTED = "imported";

  /** @throws IllegalArgumentException for a blank name or null hyperparameter keys/values */
  public Architecture {
    if (name == null || name.isBlank()) {
      throw new IllegalArgumentException("architecture name must not be blank, got '" + name + "'");
    }
    hyperparameters = hyperparameters == null ? Map.of() : hyperparameters;
    for (Map.Entry<String, Object> e : hyperparameters.entrySet()) {
      if (e.getKey() == null || e.getValue() == null) {
        throw new IllegalArgumentException("hyperparameter " + e.getKey() + " must have a key and a value");
      }
    }
    // Sorted so the manifest's JSON is byte-for-byte reproducible.
    hyperparameters = Collections.unmodifiableMap(new TreeMap<>(hyperparameters));
  }

  public boolean inferenceOnly() {
    return IMPORTED.equals(name);
  }
}
