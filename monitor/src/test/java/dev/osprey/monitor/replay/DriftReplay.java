package dev.osprey.monitor.replay;

import dev.osprey.core.data.ImageDataset;
import dev.osprey.core.data.ImageShifts;
import dev.osprey.core.data.InputSummaries;
import dev.osprey.core.data.InputSummaryReference;
import dev.osprey.model.registry.ReferenceProfile;
import dev.osprey.monitor.drift.CalibratedDetectors;
import dev.osprey.monitor.drift.DriftConfig;
import dev.osprey.monitor.drift.DriftEvent;
import dev.osprey.monitor.drift.DriftMonitor;
import dev.osprey.monitor.drift.Observation;
import dev.osprey.monitor.drift.OnlineDriftDetector;
import dev.osprey.model.registry.CalibrationMap;
import dev.osprey.model.runtime.PredictorException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;

/**
 * Replays held-out images through a served model into the drift monitor, the way the replay
 * producer and inference service would: each seed replays the stream images in its own shuffled
 * order (cycling), and a drift ({@code rotate:DEG} or {@code noise:SIGMA}, the replay producer's
 * image shifts) applies from sample {@code onset} on.
 *
 * <p>The held-out images (never trained on) are split at random into the reference (profile,
 * input summaries, the CBPE calibration map) and the stream, so that "no drift" means what it
 * means in production: the same distribution as the reference, not the same images. (MNIST's
 * splits are not one distribution: its test set's first half comes from other writers than its
 * second, so a reference from the training split alarms on test replays with no shift applied.)
 */
public final class DriftReplay {
  /** Rows of the softmax and embedding samples kept in the reference profile. */
  public static final int PROFILE_SAMPLE = 2000;

  private final StudentModel model;
  private final ImageDataset stream;
  private final ReferenceProfile profile;
  private final InputSummaryReference inputs;
  private final CalibrationMap calibration;
  private final Observation[] clean;
  private final Map<String, Observation[]> deterministicShifts = new LinkedHashMap<>();

  /** Per detector (and "combined"): samples from the onset to the first alarm, or -1 if none within the horizon. */
  public record Delays(Map<String, Integer> delays, int falseAlarmsBeforeOnset) {}

  /** Alarms raised per detector (and "combined") over a no-drift stream of {@code samples}. */
  public record FalseAlarms(Map<String, Integer> alarms, long samples, double seconds) {}

  /**
   * @param heldOut images the model was not trained on
   * @param referenceSize how many of them (chosen at random) form the reference; the rest are the stream
   * @param seed the split
   */
  public DriftReplay(StudentModel model, ImageDataset heldOut, int referenceSize, long seed) throws PredictorException {
    this.model = model;
    int[] perm = permutation(heldOut.size(), new Random(seed));
    ImageDataset reference = subset(heldOut, java.util.Arrays.copyOfRange(perm, 0, referenceSize), "reference");
    this.stream = subset(heldOut, java.util.Arrays.copyOfRange(perm, referenceSize, perm.length), "stream");
    StudentModel.Outputs ref = model.predict(reference);
    this.profile = ReferenceProfile.fromSoftmax(ref.softmax(), ref.embeddings(), 20, PROFILE_SAMPLE, 1);
    this.inputs = InputSummaryReference.of(reference, PROFILE_SAMPLE);
    float[] confidence = new float[reference.size()];
    boolean[] correct = new boolean[reference.size()];
    for (int i = 0; i < reference.size(); i++) {
      Observation o = Observation.of(null, ref.softmax().get(i));
      confidence[i] = o.confidence();
      correct[i] = o.predicted() == reference.label(i);
    }
    this.calibration = CalibrationMap.fit(confidence, correct);
    this.clean = observe(stream, "none", null);
  }

  public ReferenceProfile profile() {
    return profile;
  }

  public InputSummaryReference inputs() {
    return inputs;
  }

  public CalibrationMap calibration() {
    return calibration;
  }

  /** The images replayed as the stream. */
  public ImageDataset stream() {
    return stream;
  }

  static int[] permutation(int n, Random rnd) {
    int[] perm = new int[n];
    for (int k = 0; k < n; k++) {
      perm[k] = k;
    }
    for (int k = n - 1; k > 0; k--) {
      int j = rnd.nextInt(k + 1);
      int t = perm[k];
      perm[k] = perm[j];
      perm[j] = t;
    }
    return perm;
  }

  static ImageDataset subset(ImageDataset data, int[] indices, String part) {
    int n = data.imageSize();
    byte[] pixels = new byte[indices.length * n];
    int[] labels = new int[indices.length];
    for (int i = 0; i < indices.length; i++) {
      System.arraycopy(data.pixels(), indices[i] * n, pixels, i * n, n);
      labels[i] = data.label(indices[i]);
    }
    return new ImageDataset(data.name() + " " + part, data.rows(), data.cols(), pixels, labels, data.classes());
  }

  /** Calibrates the monitor's detectors on the reference. */
  public CalibratedDetectors calibrate(DriftConfig config, Consumer<String> progress) {
    return CalibratedDetectors.calibrate(config, profile, inputs, progress);
  }

  /** Observations of every stream image under {@code drift} ("none" = as is). */
  private Observation[] observe(ImageDataset data, String drift, Random rng) throws PredictorException {
    List<byte[]> images = new ArrayList<>(data.size());
    for (int i = 0; i < data.size(); i++) {
      images.add(shift(data.image(i), drift, rng));
    }
    return observations(images, "x");
  }

  private Observation[] observations(List<byte[]> images, String idPrefix) throws PredictorException {
    StudentModel.Outputs out = model.predict(images);
    Observation[] obs = new Observation[images.size()];
    for (int i = 0; i < obs.length; i++) {
      obs[i] = Observation.of(idPrefix + i, out.softmax().get(i))
          .withEmbedding(out.embeddings().get(i))
          .withInputSummary(InputSummaries.ofUint8(images.get(i), stream.rows(), stream.cols()));
    }
    return obs;
  }

  /**
   * Applies a drift spec to one image.
   *
   * @throws IllegalArgumentException for a spec other than none, rotate:DEG or noise:SIGMA
   */
  static byte[] shift(byte[] img, String drift, Random rng) {
    if (drift.equals("none")) {
      return img;
    }
    String[] p = drift.split(":", 2);
    double arg = Double.parseDouble(p[1]);
    return switch (p[0]) {
      case "rotate" -> ImageShifts.rotate(img, 28, 28, arg);
      case "noise" -> ImageShifts.noise(img, arg, rng);
      default -> throw new IllegalArgumentException("drift '" + drift + "' is not rotate:DEG or noise:SIGMA");
    };
  }

  /** The stream image index of sample {@code i} for a seed: the split in a shuffled order, reshuffled each pass. */
  int[] order(long seed, int length) {
    int n = stream.size();
    int[] out = new int[length];
    Random rnd = new Random(seed);
    int[] perm = null;
    for (int i = 0; i < length; i++) {
      if (i % n == 0) {
        perm = permutation(n, rnd);
      }
      out[i] = perm[i % n];
    }
    return out;
  }

  /**
   * The observations of one seed's stream: clean up to {@code onset}, drifted from it on.
   */
  public Observation[] driftStream(long seed, String drift, int onset, int length) throws PredictorException {
    int[] order = order(seed, length);
    Observation[] out = new Observation[length];
    for (int i = 0; i < Math.min(onset, length); i++) {
      out[i] = clean[order[i]];
    }
    if (drift.startsWith("noise")) {
      Random rng = new Random(seed ^ 0x5DEECE66DL);
      List<byte[]> images = new ArrayList<>();
      for (int i = onset; i < length; i++) {
        images.add(shift(stream.image(order[i]), drift, rng));
      }
      Observation[] drifted = observations(images, "d");
      System.arraycopy(drifted, 0, out, onset, drifted.length);
    } else {
      Observation[] shifted = deterministicShifts.get(drift);
      if (shifted == null) {
        shifted = observe(stream, drift, null);
        deterministicShifts.put(drift, shifted);
      }
      for (int i = onset; i < length; i++) {
        out[i] = shifted[order[i]];
      }
    }
    return out;
  }

  /** The labels of a seed's stream (for realized accuracy). */
  public int[] labels(long seed, int length) {
    int[] order = order(seed, length);
    int[] out = new int[length];
    for (int i = 0; i < length; i++) {
      out[i] = stream.label(order[i]);
    }
    return out;
  }

  /** Runs a drifted stream; delays are counted from {@code onset} to the first sample in alarm. */
  public Delays delays(CalibratedDetectors detectors, long seed, Observation[] observations, int onset) {
    DriftMonitor monitor = new DriftMonitor(detectors.config().withSeed(seed));
    monitor.reset(detectors);
    Map<String, Integer> delays = new LinkedHashMap<>();
    int before = 0;
    for (int i = 0; i < observations.length; i++) {
      List<DriftEvent> events = monitor.observe(observations[i]);
      if (i < onset) {
        before += (int) events.stream().filter(e -> e.state() == DriftEvent.State.ALARM).count();
        continue;
      }
      for (OnlineDriftDetector d : monitor.detectors()) {
        if (d.alarm()) {
          delays.putIfAbsent(d.name(), i - onset);
        }
      }
      if (monitor.alarm()) {
        delays.putIfAbsent("combined", i - onset);
      }
    }
    for (OnlineDriftDetector d : monitor.detectors()) {
      delays.putIfAbsent(d.name(), -1);
    }
    delays.putIfAbsent("combined", -1);
    return new Delays(delays, before);
  }

  /** Runs {@code length} undrifted samples and counts the alarms raised. */
  public FalseAlarms falseAlarms(CalibratedDetectors detectors, long seed, int length) {
    int[] order = order(seed, length);
    Observation[] obs = new Observation[length];
    for (int i = 0; i < length; i++) {
      obs[i] = clean[order[i]];
    }
    DriftMonitor monitor = new DriftMonitor(detectors.config().withSeed(seed));
    monitor.reset(detectors);
    Map<String, Integer> alarms = new LinkedHashMap<>();
    monitor.detectors().forEach(d -> alarms.put(d.name(), 0));
    alarms.put("combined", 0);
    boolean wasAlarm = false;
    long start = System.nanoTime();
    for (Observation o : obs) {
      for (DriftEvent e : monitor.observe(o)) {
        if (e.state() == DriftEvent.State.ALARM) {
          alarms.merge(e.detector(), 1, Integer::sum);
        }
      }
      boolean now = monitor.alarm();
      if (now && !wasAlarm) {
        alarms.merge("combined", 1, Integer::sum);
      }
      wasAlarm = now;
    }
    return new FalseAlarms(alarms, length, (System.nanoTime() - start) / 1e9);
  }
}
