package dev.osprey.monitor.drift;

import dev.osprey.core.data.InputSummaryReference;
import dev.osprey.model.registry.ReferenceProfile;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The drift tests a reference supports, each with its calibrated threshold: what a model
 * version's monitor starts from. Calibration simulates {@code calibrationAlarms * k * ert} samples
 * per test (k tests), which takes seconds; the result is immutable and reusable for every reset
 * to the same version.
 *
 * @param config the config calibrated for
 * @param tests the tests and their thresholds, in a fixed order
 */
public record CalibratedDetectors(DriftConfig config, List<Calibrated> tests) {
  /** Fewest reference rows a sample-based test (BBSD, input, MMD) needs to run. */
  public static final int MIN_REFERENCE_ROWS = 20;

  /** A test and its threshold. */
  public record Calibrated(DriftTest test, ThresholdCalibration calibration) {}

  public CalibratedDetectors {
    tests = List.copyOf(tests);
  }

  /**
   * The tests {@code profile} (and {@code inputs}, when not null) support, minus the disabled
   * ones, each calibrated to {@code k * config.ertSamples()}.
   *
   * @param progress told each test's name as its calibration starts
   */
  public static CalibratedDetectors calibrate(
      DriftConfig config, ReferenceProfile profile, InputSummaryReference inputs, Consumer<String> progress) {
    int w = config.windowSize();
    List<DriftTest> tests = new ArrayList<>();
    if (profile.softmaxSample().size() >= MIN_REFERENCE_ROWS) {
      tests.add(ColumnKsTest.bbsd(profile.softmaxSample(), w));
    }
    tests.add(new LabelShiftTest(profile.classPrior(), Math.max(1, profile.confidence().total()), w));
    tests.add(new ConfidenceTest(profile.confidence(), w));
    if (inputs != null && inputs.sample().size() >= MIN_REFERENCE_ROWS) {
      tests.add(ColumnKsTest.inputSummaries(inputs.features(), inputs.sample(), w));
    }
    if (profile.embeddingSample().size() >= MIN_REFERENCE_ROWS) {
      tests.add(new EmbeddingMmdTest(profile.embeddingSample(), w, config.randomFeatures(), config.seed()));
    }
    tests.removeIf(t -> config.disabled().contains(t.name()));
    if (tests.isEmpty()) {
      throw new IllegalArgumentException("every drift detector is disabled: " + config.disabled());
    }
    double ertEach = config.ertSamples() * tests.size();
    long samples = (long) Math.ceil(config.calibrationAlarms() * ertEach);
    int paths = (int) Math.max(1, (samples + config.calibrationPathLength() - 1) / config.calibrationPathLength());
    List<Calibrated> out = new ArrayList<>();
    for (int i = 0; i < tests.size(); i++) {
      DriftTest t = tests.get(i);
      progress.accept(t.name());
      out.add(new Calibrated(t, ThresholdCalibration.calibrate(
          t, ertEach, config.clearAfter(), paths, config.calibrationPathLength(), config.seed() * 1_000_003L + i)));
    }
    return new CalibratedDetectors(config, out);
  }
}
