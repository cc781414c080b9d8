package dev.osprey.model.registry;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * The manifest's {@code plans} section: the precision plans a version stores (one ONNX file each,
 * all built from its fp32 graph) and, per host, what each plan measured there and which one
 * {@code precision=auto} serves. Accuracy and agreement do not depend on the host; throughput does,
 * so it is recorded per host key ({@code HostProfile.key()}: CPU model, relevant flags, cores).
 *
 * @param candidates plan name -> how it is built and what it scored; always holds {@code fp32}
 * @param hosts host key -> throughput per plan and the choice on that host (may be empty)
 */
public record PrecisionPlans(Map<String, Candidate> candidates, Map<String, HostFigures> hosts) {
  /** The fp32 plan's name; every plan section has it (it is what the accuracy bound is measured against). */
  public static final String FP32 = "fp32";
  private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

  /**
   * One stored plan.
   *
   * @param file the role of its ONNX file in the manifest's {@code files}
   * @param sha256 that file's SHA-256 (equal to the {@code files} entry; checked on load)
   * @param description one line for logs
   * @param opTypes operator types quantized to int8 (empty for fp32)
   * @param fp32Nodes nodes of those types kept in fp32
   * @param disabledOptimizers ONNX Runtime transformers to switch off when opening it
   *     ({@code session.optimization.disable_specified_optimizers})
   * @param accuracy top-1 accuracy on the reference set
   * @param agreement top-1 agreement with the fp32 plan on the reference set
   */
  public record Candidate(String file, String sha256, String description, List<String> opTypes, List<String> fp32Nodes,
      List<String> disabledOptimizers, double accuracy, double agreement) {
    /** @throws IllegalArgumentException naming the field when one is missing or out of range */
    public Candidate {
      ModelNames.requireRole(file);
      if (sha256 == null || !SHA256.matcher(sha256).matches()) {
        throw new IllegalArgumentException("plan sha256 must be 64 lower-case hex digits, got '" + sha256 + "'");
      }
      description = description == null ? "" : description;
      opTypes = sorted(opTypes);
      fp32Nodes = sorted(fp32Nodes);
      disabledOptimizers = sorted(disabledOptimizers);
      if (!(accuracy >= 0 && accuracy <= 1) || !(agreement >= 0 && agreement <= 1)) {
        throw new IllegalArgumentException("plan accuracy and agreement must be in [0, 1], got " + accuracy + ", " + agreement);
      }
    }
  }

  /** Median and slowest round of a plan's throughput, samples per second. */
  public record Rate(double median, double min) {
    public Rate {
      if (!(median > 0) || !(min > 0) || !Double.isFinite(median) || !Double.isFinite(min)) {
        throw new IllegalArgumentException("rates must be positive finite numbers, got " + median + ", " + min);
      }
    }
  }

  /**
   * What the plans measured on one host.
   *
   * @param cpuModel the host's CPU model
   * @param flags its relevant CPU flags
   * @param cores available processors
   * @param batchSize batch size the throughput was measured at (the serving batch size)
   * @param threads ONNX Runtime intra-op threads
   * @param rounds alternating measurement rounds (each plan timed once per round)
   * @param samplesPerSecond plan name -> rate
   * @param chosen the plan {@code precision=auto} serves on this host
   * @param reason why, in one line (what it won against and what was outside the accuracy bound)
   */
  public record HostFigures(String cpuModel, List<String> flags, int cores, int batchSize, int threads, int rounds,
      Map<String, Rate> samplesPerSecond, String chosen, String reason) {
    /** @throws IllegalArgumentException naming the field when one is missing or out of range */
    public HostFigures {
      if (cpuModel == null || cpuModel.isBlank()) {
        throw new IllegalArgumentException("cpuModel must not be blank");
      }
      flags = sorted(flags);
      if (cores < 1 || batchSize < 1 || threads < 1 || rounds < 1) {
        throw new IllegalArgumentException("cores, batchSize, threads and rounds must be >= 1");
      }
      if (samplesPerSecond == null || samplesPerSecond.isEmpty() || samplesPerSecond.values().stream().anyMatch(Objects::isNull)) {
        throw new IllegalArgumentException("samplesPerSecond must hold a rate per plan");
      }
      samplesPerSecond = Collections.unmodifiableMap(new TreeMap<>(samplesPerSecond));
      if (chosen == null || !samplesPerSecond.containsKey(chosen)) {
        throw new IllegalArgumentException("chosen plan '" + chosen + "' has no measured rate " + samplesPerSecond.keySet());
      }
      reason = reason == null ? "" : reason;
    }
  }

  /** @throws IllegalArgumentException if there is no fp32 plan or a host names a plan that is not stored */
  public PrecisionPlans {
    if (candidates == null || !candidates.containsKey(FP32) || candidates.values().stream().anyMatch(Objects::isNull)) {
      throw new IllegalArgumentException("plans.candidates must hold the '" + FP32 + "' plan, got "
          + (candidates == null ? null : candidates.keySet()));
    }
    for (String name : candidates.keySet()) {
      if (name == null || !name.matches("[a-z0-9-]+")) {
        throw new IllegalArgumentException("plan name must match [a-z0-9-]+, got " + name);
      }
    }
    candidates = Collections.unmodifiableMap(new TreeMap<>(candidates));
    hosts = hosts == null ? Map.of() : hosts;
    for (Map.Entry<String, HostFigures> h : hosts.entrySet()) {
      if (h.getKey() == null || h.getKey().isBlank() || h.getValue() == null) {
        throw new IllegalArgumentException("plans.hosts entries need a host key and figures");
      }
      if (!candidates.keySet().containsAll(h.getValue().samplesPerSecond().keySet())) {
        throw new IllegalArgumentException("plans.hosts['" + h.getKey() + "'] measured plans " + h.getValue().samplesPerSecond().keySet()
            + " that are not stored " + candidates.keySet());
      }
    }
    hosts = Collections.unmodifiableMap(new TreeMap<>(hosts));
  }

  /** The stored plan of this name. @throws IllegalArgumentException naming the plans there are */
  public Candidate candidate(String name) {
    Candidate c = candidates.get(name);
    if (c == null) {
      throw new IllegalArgumentException("no plan '" + name + "' (stored: " + candidates.keySet() + ")");
    }
    return c;
  }

  /** Checks that every plan's file is one of the version's files with the same hash. */
  void checkAgainst(Map<String, FileEntry> files) {
    for (Map.Entry<String, Candidate> c : candidates.entrySet()) {
      FileEntry f = files.get(c.getValue().file());
      if (f == null) {
        throw new IllegalArgumentException("plan '" + c.getKey() + "' names file role '" + c.getValue().file()
            + "' that is not in files " + files.keySet());
      }
      if (!f.sha256().equals(c.getValue().sha256())) {
        throw new IllegalArgumentException("plan '" + c.getKey() + "' records sha256 " + c.getValue().sha256()
            + " but file role '" + c.getValue().file() + "' has " + f.sha256());
      }
    }
  }

  private static List<String> sorted(List<String> values) {
    return values == null ? List.of() : List.copyOf(new TreeSet<>(values));
  }
}
