package dev.osprey.monitor.bench;

import dev.osprey.core.data.Datasets;
import dev.osprey.core.data.ImageDataset;
import dev.osprey.core.data.InputSummaries;
import dev.osprey.monitor.drift.CalibratedDetectors;
import dev.osprey.monitor.drift.DriftConfig;
import dev.osprey.monitor.drift.Observation;
import dev.osprey.monitor.replay.DriftReplay;
import dev.osprey.monitor.replay.StudentModel;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Offline drift benchmark (a measurement, not a test): the CNN student trained on MNIST's training
 * split, MNIST's test split at random halves into the reference and the replayed stream, then per
 * seed {@code rotate:30} and {@code noise:0.3} from sample 5,000 and a no-drift stream of 20,000.
 * Prints a markdown report: detection delay per detector and combined (median, max), false alarms
 * and the measured mean run length against the ERT, throughput of the detectors, CBPE against
 * realized accuracy.
 *
 * <p>Args: {@code [dataDir=data] [seeds=20] [ert=10000] [window=200] [trainSteps=2000]}. Needs
 * {@code bin/osprey data fetch mnist} (falls back to the fixture when MNIST is missing).
 */
public final class DriftBenchmark {
  private static final int ONSET = 5000;
  private static final int HORIZON = 3000;
  private static final int CLEAN = 20_000;
  private static final List<String> DRIFTS = List.of("rotate:30", "noise:0.3");

  private DriftBenchmark() {}

  public static void main(String[] args) throws Exception {
    Path dataDir = Path.of(args.length > 0 ? args[0] : "data");
    int seeds = args.length > 1 ? Integer.parseInt(args[1]) : 20;
    double ert = args.length > 2 ? Double.parseDouble(args[2]) : 10_000;
    int window = args.length > 3 ? Integer.parseInt(args[3]) : 200;
    int steps = args.length > 4 ? Integer.parseInt(args[4]) : 2000;
    StringBuilder report = new StringBuilder();
    Datasets datasets = new Datasets(dataDir);
    boolean full = Files.isDirectory(dataDir.resolve("mnist"));
    ImageDataset train = datasets.load(full ? "mnist:train" : "fixture:train");
    ImageDataset test = datasets.load(full ? "mnist:test" : "fixture:test");
    report.append(String.format(Locale.ROOT, "Machine: %d cores, load average %.2f at start, CPU %s%n%n",
        Runtime.getRuntime().availableProcessors(), ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(),
        cpuModel()));

    long t0 = System.nanoTime();
    System.err.printf("training the student on %s (%d steps of 64)...%n", train.name(), steps);
    StudentModel model = StudentModel.train(train, steps, 7, s -> {
      if (s % 250 == 0) {
        System.err.printf("  step %d/%d%n", s, steps);
      }
    });
    DriftReplay replay = new DriftReplay(model, test, test.size() / 2, 3);
    report.append(String.format(Locale.ROOT, "Model: cnn-student int8 (ONNX Runtime, 1 thread), %d SGD steps on %s "
        + "(%.0f s). Reference: a random half of %s (%d images); stream: the other half, reshuffled per seed.%n%n",
        steps, train.name(), (System.nanoTime() - t0) / 1e9, test.name(), test.size() / 2));

    DriftConfig config = DriftConfig.defaults().withErt(ert).withWindow(window);
    long c0 = System.nanoTime();
    CalibratedDetectors detectors = replay.calibrate(config, name -> System.err.println("calibrating " + name + "..."));
    double calibrationSeconds = (System.nanoTime() - c0) / 1e9;
    report.append(String.format(Locale.ROOT, "Config: ERT %.0f samples (each of the %d detectors calibrated to %.0f), "
        + "window %d, clear after %d quiet samples, calibration %d simulated alarms per detector (%.1f s in all).%n%n",
        ert, detectors.tests().size(), ert * detectors.tests().size(), window, config.clearAfter(),
        config.calibrationAlarms(), calibrationSeconds));
    report.append("| detector | threshold | simulated run time | no-drift median |\n|---|---|---|---|\n");
    detectors.tests().forEach(c -> report.append(String.format(Locale.ROOT, "| %s | %.4g | %.0f | %.4g |%n",
        c.test().name(), c.calibration().threshold(), c.calibration().measuredErt(), c.calibration().nullMedian())));

    for (String drift : DRIFTS) {
      Map<String, List<Integer>> delays = new LinkedHashMap<>();
      int before = 0;
      double realizedAfter = 0;
      double estimatedAfter = 0;
      for (long seed = 1; seed <= seeds; seed++) {
        Observation[] obs = replay.driftStream(seed, drift, ONSET, ONSET + HORIZON);
        DriftReplay.Delays d = replay.delays(detectors, seed, obs, ONSET);
        d.delays().forEach((k, v) -> delays.computeIfAbsent(k, x -> new ArrayList<>()).add(v));
        before += d.falseAlarmsBeforeOnset();
        int[] labels = replay.labels(seed, ONSET + HORIZON);
        for (int i = ONSET; i < ONSET + HORIZON; i++) {
          realizedAfter += obs[i].predicted() == labels[i] ? 1 : 0;
          estimatedAfter += replay.calibration().apply(obs[i].confidence());
        }
        System.err.printf("%s seed %d: %s%n", drift, seed, d.delays());
      }
      report.append(String.format(Locale.ROOT, "%n**%s from sample %d**, %d seeds (delay = samples from the onset "
          + "to the first sample in alarm; -1 = not within %d):%n%n", drift, ONSET, seeds, HORIZON));
      report.append("| detector | median delay | max delay | detected | delays |\n|---|---|---|---|---|\n");
      delays.forEach((name, list) -> report.append(row(name, list)));
      double n = (double) seeds * HORIZON;
      report.append(String.format(Locale.ROOT, "%nAlarms raised before the onset (false): %d in %d samples. After the "
          + "onset: realized accuracy %.4f, CBPE estimate %.4f.%n", before, (long) seeds * ONSET,
          realizedAfter / n, estimatedAfter / n));
    }

    Map<String, Integer> alarms = new LinkedHashMap<>();
    long samples = 0;
    double seconds = 0;
    for (long seed = 1; seed <= seeds; seed++) {
      DriftReplay.FalseAlarms f = replay.falseAlarms(detectors, 1000 + seed, CLEAN);
      f.alarms().forEach((k, v) -> alarms.merge(k, v, Integer::sum));
      samples += f.samples();
      seconds += f.seconds();
      System.err.printf("no drift seed %d: %s%n", seed, f.alarms());
    }
    report.append(String.format(Locale.ROOT, "%n**No drift**, %d seeds x %d samples = %d samples:%n%n", seeds, CLEAN, samples));
    report.append("| detector | configured ERT | false alarms | measured mean run length |\n|---|---|---|---|\n");
    double each = ert * detectors.tests().size();
    for (var e : alarms.entrySet()) {
      double configured = e.getKey().equals("combined") ? ert : each;
      report.append(String.format(Locale.ROOT, "| %s | %.0f | %d | %s |%n", e.getKey(), configured, e.getValue(),
          e.getValue() == 0 ? "> " + samples : String.format(Locale.ROOT, "%.0f", (double) samples / e.getValue())));
    }
    report.append(String.format(Locale.ROOT, "%nThroughput of the detectors (all %d, one thread, observations "
        + "ready): %.0f predictions/s.%n", detectors.tests().size(), samples / seconds));
    report.append(String.format(Locale.ROOT, "Input summaries (computed from the 28x28 image): %.2f us per sample.%n",
        summaryMicros(replay.stream())));
    report.append(String.format(Locale.ROOT, "Load average at the end: %.2f.%n",
        ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage()));
    model.close();
    System.out.println(report);
  }

  private static String row(String name, List<Integer> list) {
    List<Integer> sorted = list.stream().map(v -> v < 0 ? Integer.MAX_VALUE : v).sorted().toList();
    int detected = (int) list.stream().filter(v -> v >= 0).count();
    int median = sorted.get((sorted.size() - 1) / 2);
    int max = sorted.get(sorted.size() - 1);
    return String.format(Locale.ROOT, "| %s | %s | %s | %d/%d | %s |%n", name, fmt(median), fmt(max), detected,
        list.size(), list);
  }

  private static String fmt(int v) {
    return v == Integer.MAX_VALUE ? "> " + HORIZON : Integer.toString(v);
  }

  private static double summaryMicros(ImageDataset data) {
    int n = Math.min(data.size(), 2000);
    float sink = 0;
    long start = System.nanoTime();
    for (int rep = 0; rep < 5; rep++) {
      for (int i = 0; i < n; i++) {
        sink += InputSummaries.ofUint8(data.image(i), data.rows(), data.cols())[0];
      }
    }
    double us = (System.nanoTime() - start) / 1e3 / (5.0 * n);
    if (sink == Float.NEGATIVE_INFINITY) {
      System.err.println(sink); // keeps the loop from being optimised away
    }
    return us;
  }

  private static String cpuModel() {
    try {
      return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
          .findFirst().map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse("unknown");
    } catch (java.io.IOException e) {
      return "unknown";
    }
  }
}
