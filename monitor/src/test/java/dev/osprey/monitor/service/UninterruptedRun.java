package dev.osprey.monitor.service;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.osprey.core.event.DriftReport;
import dev.osprey.core.event.EventCodec;
import dev.osprey.core.event.Outcome;
import dev.osprey.core.event.Prediction;
import dev.osprey.core.topic.Topics;
import dev.osprey.model.registry.ModelRegistry;
import dev.osprey.monitor.quality.QualitySnapshot;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * What a monitor that is never interrupted reports and figures for a replay of
 * {@link MonitorFixtures} (every second prediction labeled), computed in memory: the oracle of the
 * fault tests, which run the same traffic through Kafka, break something in the middle and compare.
 */
final class UninterruptedRun {
  static final long LABEL_DELAY_MILLIS = 1_500;

  final List<MonitorFixtures.Scored> replay;
  final MonitorProcessor processor;
  final List<DriftReport> reports = new ArrayList<>();

  UninterruptedRun(ModelRegistry registry, List<MonitorFixtures.Scored> replay) {
    this.replay = replay;
    this.processor = new MonitorProcessor(MonitorFixtures.settings(),
        new ReferenceCatalog(registry, MonitorFixtures.settings().drift()));
    for (int i = 0; i < replay.size(); i++) {
      reports.addAll(processor.onPrediction(replay.get(i).prediction(), 0, i));
      if (i % 2 == 0) {
        processor.onOutcome(replay.get(i).outcome(LABEL_DELAY_MILLIS));
      }
    }
    assertFalse(reports.isEmpty(), "the drift is reported");
  }

  /** The same stream as records: each prediction, and after every second one its outcome. */
  List<ProducerRecord<String, byte[]>> traffic(Topics topics, EventCodec codec) {
    List<ProducerRecord<String, byte[]>> traffic = new ArrayList<>();
    for (int i = 0; i < replay.size(); i++) {
      Prediction p = replay.get(i).prediction();
      traffic.add(new ProducerRecord<>(topics.predictions().name(), p.sampleId(), codec.encode(p)));
      if (i % 2 == 0) {
        Outcome o = replay.get(i).outcome(LABEL_DELAY_MILLIS);
        traffic.add(new ProducerRecord<>(topics.outcomes().name(), o.sampleId(), codec.encode(o)));
      }
    }
    return traffic;
  }

  /** The monitor's figures equal this run's: every prediction and outcome counted once, nothing else. */
  void assertSameFigures(MonitorView view) {
    int n = replay.size();
    MonitorView.Model model = view.models().get(0);
    MonitorView.Model want = processor.view().models().get(0);
    assertEquals(want.alarms(), model.alarms());
    assertEquals(want.driftSamples(), model.driftSamples());
    MonitorView.Version v = model.versions().get(0);
    MonitorView.Version w = want.versions().get(0);
    assertEquals(n / 2, v.total().labeled(), "every outcome counted once");
    assertEquals(w.correct(), v.correct());
    assertEquals(w.incorrect(), v.incorrect());
    assertArrayEquals(w.predictedClasses(), v.predictedClasses());
    assertEquals(n, Arrays.stream(v.predictedClasses()).sum(), "every prediction counted once");
    assertEquals(w.estimatedAccuracy(), v.estimatedAccuracy(), 1e-12);
    assertSameQuality(w.total(), v.total());
    assertSameQuality(w.lastN(), v.lastN());
  }

  private static void assertSameQuality(QualitySnapshot want, QualitySnapshot got) {
    assertEquals(want.labeled(), got.labeled());
    assertEquals(want.accuracy(), got.accuracy(), 0.0);
    assertArrayEquals(want.recall(), got.recall(), 0.0);
    assertEquals(want.ece(), got.ece(), 1e-12);
    assertEquals(want.logLoss(), got.logLoss(), 1e-12);
    assertEquals(want.meanConfidence(), got.meanConfidence(), 1e-12);
    assertEquals(want.coverage(), got.coverage(), 0.0);
    assertEquals(want.meanDelayMillis(), got.meanDelayMillis(), 1e-9);
  }
}
