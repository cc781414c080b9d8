package dev.osprey.monitor.replay;

import dev.osprey.core.data.Datasets;
import dev.osprey.core.data.ImageDataset;
import java.nio.file.Path;

/**
 * The drift replay of the tests, built once per JVM: the student trained on the first 6,000
 * images of fixture:train; the other 4,000 (held out) split at random into a reference of 2,000
 * and a stream of 2,000.
 */
final class FixtureReplay {
  static final int TRAIN = 6000;
  static final int STEPS = 400;
  private static DriftReplay replay;

  private FixtureReplay() {}

  static synchronized DriftReplay get() throws Exception {
    if (replay == null) {
      Datasets datasets = new Datasets(Path.of("unused"));
      ImageDataset train = datasets.load("fixture:train");
      StudentModel model = StudentModel.train(train.slice(0, TRAIN), STEPS, 7, step -> {});
      // the model stays open for the JVM's life: the replay predicts drifted images on demand
      replay = new DriftReplay(model, train.slice(TRAIN, train.size()), 2000, 3);
    }
    return replay;
  }
}
