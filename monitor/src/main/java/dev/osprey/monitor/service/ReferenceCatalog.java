package dev.osprey.monitor.service;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.osprey.core.data.InputSummaryReference;
import dev.osprey.model.registry.ModelLoadException;
import dev.osprey.model.registry.ModelManifest;
import dev.osprey.model.registry.ModelRegistry;
import dev.osprey.monitor.drift.CalibratedDetectors;
import dev.osprey.monitor.drift.DriftConfig;
import dev.osprey.model.registry.CalibrationMap;
import dev.osprey.model.registry.FileRoles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the monitor knows about each model version from the registry: its classes, its drift
 * detectors calibrated against the manifest's reference profile, and its CBPE calibration map.
 * Calibrating takes seconds (a simulation per detector), so it runs on one background thread:
 * {@link #prepare} starts it when an activation is seen (ahead of the swap), {@link #get} waits for
 * it when a prediction of the version arrives. Calibration is seeded, so a restarted monitor gets
 * the same thresholds. Thread-safe.
 *
 * <p>Optional files of a version (roles in the manifest's {@code files}): {@value #INPUT_SUMMARIES}
 * (an {@link InputSummaryReference} as JSON) enables the input-summary detector;
 * {@value #CBPE_CALIBRATION} (a {@link CalibrationMap} as JSON) calibrates the estimated accuracy.
 * The packager writes both ({@code ModelPackager}); without them (an imported model, a version
 * published before) the input detector does not run and CBPE takes the model as calibrated.
 */
public final class ReferenceCatalog implements AutoCloseable {
  /** File role of a version's input-summary reference. */
  public static final String INPUT_SUMMARIES = FileRoles.INPUT_SUMMARIES;
  /** File role of a version's CBPE calibration map. */
  public static final String CBPE_CALIBRATION = FileRoles.CBPE_CALIBRATION;
  private static final int CACHED_VERSIONS = 16;
  private static final Logger log = LoggerFactory.getLogger(ReferenceCatalog.class);

  /**
   * One version as the monitor sees it.
   *
   * @param classes the manifest's label count (0 when the manifest could not be read)
   * @param detectors the calibrated detectors, or null when the version has no usable reference
   * @param cbpe confidence -> probability of being right
   * @param note why something is missing, or empty
   */
  public record VersionReference(String model, int version, int classes, CalibratedDetectors detectors,
      CalibrationMap cbpe, String note) {
    public boolean drift() {
      return detectors != null;
    }
  }

  private final ModelRegistry registry;
  private final DriftConfig drift;
  private final ObjectMapper json = new ObjectMapper();
  private final ExecutorService calibrator = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "osprey-monitor-calibration");
    t.setDaemon(true);
    return t;
  });
  private final Map<String, CompletableFuture<VersionReference>> cache =
      new LinkedHashMap<>(CACHED_VERSIONS, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, CompletableFuture<VersionReference>> e) {
          return size() > CACHED_VERSIONS;
        }
      };

  public ReferenceCatalog(ModelRegistry registry, DriftConfig drift) {
    this.registry = registry;
    this.drift = drift;
  }

  /** Starts calibrating a version in the background (nothing when it is known or under way). */
  public void prepare(String model, int version) {
    future(model, version);
  }

  /** The version's reference, calibrating it now if no one has started. */
  public VersionReference get(String model, int version) {
    return future(model, version).join();
  }

  private synchronized CompletableFuture<VersionReference> future(String model, int version) {
    return cache.computeIfAbsent(model + ":" + version,
        k -> CompletableFuture.supplyAsync(() -> load(model, version), calibrator));
  }

  private VersionReference load(String model, int version) {
    ModelManifest manifest;
    try {
      manifest = registry.manifest(model, version);
    } catch (ModelLoadException | RuntimeException e) {
      log.warn("no manifest for {}:{} in {}: drift detection off for it ({})", model, version, registry.root(),
          e.getMessage());
      return new VersionReference(model, version, 0, null, CalibrationMap.identity(), "no manifest: " + e.getMessage());
    }
    Path dir = registry.versionDir(model, version);
    InputSummaryReference inputs = optional(manifest, dir, INPUT_SUMMARIES, InputSummaryReference.class);
    CalibrationMap cbpe = optional(manifest, dir, CBPE_CALIBRATION, CalibrationMap.class);
    StringBuilder note = new StringBuilder();
    if (inputs == null) {
      note.append("no input-summary reference: input detector off; ");
    }
    if (cbpe == null) {
      note.append("no CBPE calibration map: model taken as calibrated; ");
    }
    int classes = manifest.labels().size();
    if (manifest.reference() == null) {
      log.warn("{}:{} has no reference profile: drift detection off for it", model, version);
      return new VersionReference(model, version, classes, null, cbpe == null ? CalibrationMap.identity() : cbpe,
          note + "no reference profile: drift off");
    }
    long start = System.nanoTime();
    CalibratedDetectors detectors = CalibratedDetectors.calibrate(drift, manifest.reference(), inputs, name -> {});
    log.info("calibrated {} drift detectors of {}:{} for an ERT of {} samples in {} ms{}", detectors.tests().size(),
        model, version, drift.ertSamples(), (System.nanoTime() - start) / 1_000_000,
        note.isEmpty() ? "" : " (" + note.toString().trim() + ")");
    return new VersionReference(model, version, classes, detectors, cbpe == null ? CalibrationMap.identity() : cbpe,
        note.toString().trim());
  }

  private <T> T optional(ModelManifest manifest, Path dir, String role, Class<T> type) {
    if (!manifest.files().containsKey(role)) {
      return null;
    }
    Path file = dir.resolve(manifest.file(role).path());
    try {
      return json.readValue(file.toFile(), type);
    } catch (IOException | RuntimeException e) {
      log.warn("cannot read {} of {}:{} from {}: {}", role, manifest.name(), manifest.version(), file, e.toString());
      return null;
    }
  }

  @Override
  public void close() {
    calibrator.shutdownNow();
  }
}
