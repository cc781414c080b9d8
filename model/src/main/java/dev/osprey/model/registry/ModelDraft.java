package dev.osprey.model.registry;

import dev.osprey.model.InputSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A model about to be published: everything in its manifest except what the registry assigns
 * (version, creation time, hashes). Build with {@link #builder()}: {@code set*} for required
 * fields, {@code opt*} for optional ones; {@link Builder#build()} validates.
 *
 * @param files role -> source file; each is copied into the version under its own file name
 * @param plans the precision plans section, or null; each plan's sha256 must be that of its file
 */
public record ModelDraft(
    String name,
    Integer parentVersion,
    Architecture architecture,
    InputSpec input,
    List<String> labels,
    Map<String, Path> files,
    Map<String, Double> metrics,
    String calibration,
    Lineage lineage,
    ReferenceProfile reference,
    PrecisionPlans plans) {

  /** @throws IllegalArgumentException naming the field and value when one is missing or invalid */
  public ModelDraft {
    ModelNames.requireModelName("name", name);
    if (parentVersion != null && parentVersion < 1) {
      throw new IllegalArgumentException("parentVersion must be >= 1, got " + parentVersion);
    }
    if (architecture == null) {
      throw new IllegalArgumentException("architecture must be set");
    }
    ModelManifest.checkInput(input);
    labels = ModelManifest.checkLabels(labels);
    if (files == null || files.isEmpty()) {
      throw new IllegalArgumentException("at least one file must be set (e.g. role " + FileRoles.FP32_ONNX + ")");
    }
    HashSet<String> names = new HashSet<>();
    for (Map.Entry<String, Path> e : files.entrySet()) {
      ModelNames.requireRole(e.getKey());
      Path p = e.getValue();
      if (p == null || !Files.isRegularFile(p)) {
        throw new IllegalArgumentException("file of role '" + e.getKey() + "' is not a regular file: " + p);
      }
      String fileName = ModelNames.requireFileName("file name of role '" + e.getKey() + "'", p.getFileName().toString());
      if (!names.add(fileName)) {
        throw new IllegalArgumentException("two roles have the same file name '" + fileName + "'");
      }
    }
    files = Collections.unmodifiableMap(new TreeMap<>(files));
    metrics = metrics == null ? Map.of() : Collections.unmodifiableMap(new TreeMap<>(metrics));
    for (Map.Entry<String, Double> e : metrics.entrySet()) {
      if (!Double.isFinite(e.getValue())) {
        throw new IllegalArgumentException("metric " + e.getKey() + " must be finite, got " + e.getValue());
      }
    }
    if (calibration != null && calibration.isBlank()) {
      throw new IllegalArgumentException("calibration must be null or non-blank");
    }
    if (reference != null && reference.classPrior().length != labels.size()) {
      throw new IllegalArgumentException(
          "reference.classPrior has " + reference.classPrior().length + " classes, labels has " + labels.size());
    }
    if (plans != null) {
      for (Map.Entry<String, PrecisionPlans.Candidate> c : plans.candidates().entrySet()) {
        if (!files.containsKey(c.getValue().file())) {
          throw new IllegalArgumentException("plan '" + c.getKey() + "' names file role '" + c.getValue().file()
              + "' that is not set (roles: " + files.keySet() + ")");
        }
      }
    }
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Collects a draft's fields; not thread-safe. */
  public static final class Builder {
    private String name;
    private Integer parentVersion;
    private Architecture architecture;
    private InputSpec input;
    private List<String> labels;
    private final Map<String, Path> files = new LinkedHashMap<>();
    private final Map<String, Double> metrics = new LinkedHashMap<>();
    private String calibration;
    private Lineage lineage;
    private ReferenceProfile reference;
    private PrecisionPlans plans;

    private Builder() {}

    public Builder setName(String name) {
      this.name = name;
      return this;
    }

    public Builder setArchitecture(Architecture architecture) {
      this.architecture = architecture;
      return this;
    }

    public Builder setArchitecture(String name, Map<String, Object> hyperparameters) {
      return setArchitecture(new Architecture(name, hyperparameters));
    }

    public Builder setInput(InputSpec input) {
      this.input = input;
      return this;
    }

    public Builder setLabels(List<String> labels) {
      this.labels = labels;
      return this;
    }

    /** Adds (or replaces) the file of a role; at least one is required. */
    public Builder setFile(String role, Path file) {
      files.put(role, file);
      return this;
    }

    public Builder optParentVersion(int parentVersion) {
      this.parentVersion = parentVersion;
      return this;
    }

    public Builder optMetric(String metric, double value) {
      metrics.put(metric, value);
      return this;
    }

    public Builder optCalibration(String calibration) {
      this.calibration = calibration;
      return this;
    }

    public Builder optLineage(Lineage lineage) {
      this.lineage = lineage;
      return this;
    }

    public Builder optReference(ReferenceProfile reference) {
      this.reference = reference;
      return this;
    }

    /** The precision plans section; every plan's file must also be set with {@link #setFile}. */
    public Builder optPlans(PrecisionPlans plans) {
      this.plans = plans;
      return this;
    }

    /** @throws IllegalArgumentException naming the first missing or invalid field */
    public ModelDraft build() {
      return new ModelDraft(
          name, parentVersion, architecture, input, labels, files, metrics, calibration, lineage, reference, plans);
    }
  }
}
