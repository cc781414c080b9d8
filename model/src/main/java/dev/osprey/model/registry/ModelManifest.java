package dev.osprey.model.registry;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import dev.osprey.model.InputSpec;
import java.io.IOException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Everything known about one published model version; stored as {@code manifest.json} in the
 * version's directory and written last, so its presence means the version is complete.
 *
 * @param schemaVersion manifest schema, {@link #SCHEMA_VERSION}; others are rejected on load
 * @param name model name
 * @param version positive version, assigned by the registry at publish
 * @param parentVersion version of the same name this one was derived from, or null
 * @param created publish time (UTC, ISO-8601)
 * @param architecture network and hyperparameters
 * @param input what the model accepts and how it is normalized
 * @param labels class names, index = output position
 * @param files role ({@link FileRoles}) -> file; at least one ONNX graph or parameter file
 * @param metrics evaluation figures, e.g. accuracy, ece (finite numbers)
 * @param calibration int8 calibration method ("minmax", "percentile:99.99", "entropy"), or null
 * @param lineage how it was trained, or null for an imported model
 * @param reference output profile on reference data for drift detection, or null
 * @param plans the precision plans stored in this version and their figures per host, or null for a
 *     version published before plans existed (it serves {@code int8.onnx}/{@code fp32.onnx} as before);
 *     omitted from the JSON when null, so such manifests keep their bytes
 */
public record ModelManifest(
    int schemaVersion,
    String name,
    int version,
    Integer parentVersion,
    @JsonSerialize(using = ModelManifest.InstantText.Writer.class)
        @JsonDeserialize(using = ModelManifest.InstantText.Reader.class)
        Instant created,
    Architecture architecture,
    InputSpec input,
    List<String> labels,
    Map<String, FileEntry> files,
    Map<String, Double> metrics,
    String calibration,
    Lineage lineage,
    ReferenceProfile reference,
    @JsonInclude(JsonInclude.Include.NON_NULL) PrecisionPlans plans) {

  public static final int SCHEMA_VERSION = 1;

  /** A manifest without a plans section (imported models, versions published before plans existed). */
  public ModelManifest(int schemaVersion, String name, int version, Integer parentVersion, Instant created,
      Architecture architecture, InputSpec input, List<String> labels, Map<String, FileEntry> files,
      Map<String, Double> metrics, String calibration, Lineage lineage, ReferenceProfile reference) {
    this(schemaVersion, name, version, parentVersion, created, architecture, input, labels, files, metrics, calibration,
        lineage, reference, null);
  }

  /** @throws IllegalArgumentException naming the field and value when one is invalid */
  public ModelManifest {
    if (schemaVersion != SCHEMA_VERSION) {
      throw new IllegalArgumentException(
          "schemaVersion " + schemaVersion + " is not supported (expected " + SCHEMA_VERSION + ")");
    }
    ModelNames.requireModelName("name", name);
    if (version < 1) {
      throw new IllegalArgumentException("version must be >= 1, got " + version);
    }
    if (parentVersion != null && (parentVersion < 1 || parentVersion >= version)) {
      throw new IllegalArgumentException(
          "parentVersion must be in [1, " + (version - 1) + "], got " + parentVersion);
    }
    if (created == null) {
      throw new IllegalArgumentException("created must not be null");
    }
    if (architecture == null) {
      throw new IllegalArgumentException("architecture must not be null");
    }
    checkInput(input);
    labels = checkLabels(labels);
    if (files == null || files.isEmpty()) {
      throw new IllegalArgumentException("files must hold at least one entry");
    }
    HashSet<String> paths = new HashSet<>();
    for (Map.Entry<String, FileEntry> e : files.entrySet()) {
      ModelNames.requireRole(e.getKey());
      if (e.getValue() == null) {
        throw new IllegalArgumentException("file of role '" + e.getKey() + "' must not be null");
      }
      if (!paths.add(e.getValue().path())) {
        throw new IllegalArgumentException("file '" + e.getValue().path() + "' is listed under two roles");
      }
    }
    files = Collections.unmodifiableMap(new TreeMap<>(files));
    metrics = metrics == null ? Map.of() : metrics;
    for (Map.Entry<String, Double> e : metrics.entrySet()) {
      if (e.getKey() == null || e.getValue() == null || !Double.isFinite(e.getValue())) {
        throw new IllegalArgumentException("metric " + e.getKey() + " must be a finite number, got " + e.getValue());
      }
    }
    metrics = Collections.unmodifiableMap(new TreeMap<>(metrics));
    if (calibration != null && calibration.isBlank()) {
      throw new IllegalArgumentException("calibration must be null or non-blank");
    }
    if (reference != null && reference.classPrior().length != labels.size()) {
      throw new IllegalArgumentException(
          "reference.classPrior has " + reference.classPrior().length + " classes but there are "
              + labels.size() + " labels");
    }
    if (plans != null) {
      plans.checkAgainst(files);
    }
  }

  // InputSpec holds arrays, so the generated record equality would compare them by identity.
  @Override
  public boolean equals(Object o) {
    return o instanceof ModelManifest m
        && schemaVersion == m.schemaVersion
        && name.equals(m.name)
        && version == m.version
        && Objects.equals(parentVersion, m.parentVersion)
        && created.equals(m.created)
        && architecture.equals(m.architecture)
        && sameInput(input, m.input)
        && labels.equals(m.labels)
        && files.equals(m.files)
        && metrics.equals(m.metrics)
        && Objects.equals(calibration, m.calibration)
        && Objects.equals(lineage, m.lineage)
        && Objects.equals(reference, m.reference)
        && Objects.equals(plans, m.plans);
  }

  @Override
  public int hashCode() {
    return Objects.hash(name, version, created, files);
  }

  private static boolean sameInput(InputSpec a, InputSpec b) {
    return a.dtype() == b.dtype()
        && a.shape().equals(b.shape())
        && Float.compare(a.scale(), b.scale()) == 0
        && Arrays.equals(a.mean(), b.mean())
        && Arrays.equals(a.std(), b.std());
  }

  public ModelRef ref() {
    return ModelRef.of(name, version);
  }

  /** The file of a role. @throws IllegalArgumentException if this version has no such role */
  public FileEntry file(String role) {
    FileEntry f = files.get(role);
    if (f == null) {
      throw new IllegalArgumentException("model " + ref() + " has no file of role '" + role + "' (has " + files.keySet() + ")");
    }
    return f;
  }

  /** Whether this version stores precision plans (versions published before them do not). */
  public boolean hasPlans() {
    return plans != null;
  }

  /** A metric by name, or NaN when absent. */
  public double metric(String metric) {
    Double v = metrics.get(metric);
    return v == null ? Double.NaN : v;
  }

  static void checkInput(InputSpec input) {
    if (input == null || input.dtype() == null) {
      throw new IllegalArgumentException("input and input.dtype must not be null");
    }
    if (input.shape().isEmpty()) {
      throw new IllegalArgumentException("input.shape must not be empty");
    }
    for (Integer d : input.shape()) {
      if (d == null || d < 1) {
        throw new IllegalArgumentException("input.shape dimensions must be >= 1, got " + input.shape());
      }
    }
    if (!(input.scale() > 0) || !Float.isFinite(input.scale())) {
      throw new IllegalArgumentException("input.scale must be a positive finite number, got " + input.scale());
    }
    if (input.mean().length != input.channels()) {
      throw new IllegalArgumentException(
          "input.mean/std must have one value per channel (" + input.channels() + "), got " + input.mean().length);
    }
    for (int c = 0; c < input.std().length; c++) {
      if (!(input.std()[c] > 0) || !Float.isFinite(input.mean()[c])) {
        throw new IllegalArgumentException(
            "input.std must be > 0 and input.mean finite, got std " + input.std()[c] + ", mean " + input.mean()[c]);
      }
    }
  }

  static List<String> checkLabels(List<String> labels) {
    if (labels == null || labels.size() < 2) {
      throw new IllegalArgumentException("labels must name at least 2 classes, got " + labels);
    }
    HashSet<String> seen = new HashSet<>();
    for (String l : labels) {
      if (l == null || l.isBlank() || !seen.add(l)) {
        throw new IllegalArgumentException("labels must be distinct and non-blank, got " + labels);
      }
    }
    return List.copyOf(labels);
  }

  /** ISO-8601 text for {@link Instant} without pulling in the JSR-310 Jackson module. */
  static final class InstantText {
    private InstantText() {}

    static final class Writer extends JsonSerializer<Instant> {
      @Override
      public void serialize(Instant value, JsonGenerator gen, SerializerProvider serializers) throws IOException {
        gen.writeString(value.toString());
      }
    }

    static final class Reader extends JsonDeserializer<Instant> {
      @Override
      public Instant deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
        String text = p.getValueAsString();
        try {
          return Instant.parse(text);
        } catch (DateTimeParseException | NullPointerException e) {
          return (Instant) ctxt.handleWeirdStringValue(Instant.class, text, "not an ISO-8601 instant");
        }
      }
    }
  }
}
