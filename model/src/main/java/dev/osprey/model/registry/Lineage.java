package dev.osprey.model.registry;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * How a version was trained, so a result can be reproduced or explained.
 *
 * @param dataCounts examples per data source, e.g. {"mnist:train": 60000, "osprey.labeled": 1200}
 * @param recipe training recipe, e.g. "teacher", "fine-tune", "distill"
 * @param seed random seed of the run
 * @param teachers models distilled from (empty when none)
 * @param epochs epochs run
 */
public record Lineage(Map<String, Long> dataCounts, String recipe, long seed, List<Teacher> teachers, int epochs) {

  /** @throws IllegalArgumentException naming the field when a value is invalid */
  public Lineage {
    dataCounts = dataCounts == null ? Map.of() : dataCounts;
    for (Map.Entry<String, Long> e : dataCounts.entrySet()) {
      if (e.getKey() == null || e.getValue() == null || e.getValue() < 0) {
        throw new IllegalArgumentException("dataCounts entry " + e.getKey() + "=" + e.getValue() + " must be >= 0");
      }
    }
    dataCounts = Collections.unmodifiableMap(new TreeMap<>(dataCounts));
    if (recipe == null || recipe.isBlank()) {
      throw new IllegalArgumentException("recipe must not be blank, got '" + recipe + "'");
    }
    teachers = teachers == null ? List.of() : List.copyOf(teachers);
    if (epochs < 0) {
      throw new IllegalArgumentException("epochs must be >= 0, got " + epochs);
    }
  }

  /**
   * Where a student's knowledge came from: a registry version (written as its {@code name:version}
   * ref, e.g. {@code "teacher:3"}), or a trained directory outside the registry, identified
   * without its path by its name and the SHA-256 of its parameters (written as
   * {@code {"name": ..., "paramsSha256": ...}}).
   *
   * @param model the registry version, or null
   * @param name the trained directory's name (its last path element), or null for a registry version
   * @param paramsSha256 SHA-256 (hex) of the directory's parameter file, or null for a registry version
   */
  public record Teacher(ModelRef model, String name, String paramsSha256) {
    /** @throws IllegalArgumentException unless exactly one of a versioned ref or a (name, sha256) pair is given */
    public Teacher {
      if (model != null) {
        if (model.version() == null || name != null || paramsSha256 != null) {
          throw new IllegalArgumentException("a registry teacher is a name:version ref alone, got " + model + ", " + name);
        }
      } else {
        if (name == null || name.isBlank() || name.contains("/") || name.contains("\\")) {
          throw new IllegalArgumentException("teacher name must be a non-blank name without a path, got '" + name + "'");
        }
        if (paramsSha256 == null || !paramsSha256.matches("[0-9a-f]{64}")) {
          throw new IllegalArgumentException("teacher paramsSha256 must be 64 hex digits, got '" + paramsSha256 + "'");
        }
      }
    }

    /** A teacher published in the registry. */
    public static Teacher of(ModelRef version) {
      return new Teacher(version, null, null);
    }

    /** A teacher from a trained directory named {@code name} whose parameters hash to {@code paramsSha256}. */
    public static Teacher ofDirectory(String name, String paramsSha256) {
      return new Teacher(null, name, paramsSha256);
    }

    /** {@code "name:version"} for a registry version, else {@code {"name": ..., "paramsSha256": ...}}. */
    @JsonValue
    Object json() {
      if (model != null) {
        return model.toString();
      }
      Map<String, String> out = new LinkedHashMap<>();
      out.put("name", name);
      out.put("paramsSha256", paramsSha256);
      return out;
    }

    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    static Teacher fromJson(Object json) {
      if (json instanceof String ref) {
        return of(ModelRef.parse(ref));
      }
      if (json instanceof Map<?, ?> m) {
        return ofDirectory((String) m.get("name"), (String) m.get("paramsSha256"));
      }
      throw new IllegalArgumentException("a teacher is a \"name:version\" string or {name, paramsSha256}, got " + json);
    }

    @Override
    public String toString() {
      return model != null ? model.toString() : name + "@sha256:" + paramsSha256.substring(0, 12);
    }
  }
}
