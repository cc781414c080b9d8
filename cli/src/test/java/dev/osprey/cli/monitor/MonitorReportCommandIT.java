package dev.osprey.cli.monitor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.osprey.broker.KafkaBrokerExtension;
import dev.osprey.cli.OspreyCommand;
import dev.osprey.core.event.DriftReport;
import dev.osprey.core.event.EventCodec;
import dev.osprey.core.event.Feedback;
import dev.osprey.core.event.Outcome;
import dev.osprey.core.event.Prediction;
import dev.osprey.core.topic.Topics;
import dev.osprey.model.InputSpec;
import dev.osprey.model.registry.FileRoles;
import dev.osprey.model.registry.ModelDraft;
import dev.osprey.model.registry.ModelRegistry;
import dev.osprey.model.registry.ReferenceProfile;
import java.awt.image.BufferedImage;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import javax.imageio.ImageIO;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** {@code osprey monitor report} against a real broker and registry: reads the topics, recomputes the scores, writes the PNG. */
class MonitorReportCommandIT {
  @RegisterExtension static final KafkaBrokerExtension kafka = new KafkaBrokerExtension();
  static final int CLASSES = 3;

  @Test
  void writesTheTimelineFromTheTopics(@TempDir Path dir) throws Exception {
    ModelRegistry registry = registry(dir.resolve("registry"), dir.resolve("src"));
    EventCodec codec = new EventCodec();
    Topics topics = new Topics("rep.", codec);
    kafka.createTopics(topics, 1);
    SplittableRandom rnd = new SplittableRandom(5);
    try (KafkaProducer<String, byte[]> p = new KafkaProducer<>(kafka.clientProperties(), new StringSerializer(),
        new ByteArraySerializer())) {
      for (int i = 0; i < 1200; i++) {
        int y = rnd.nextInt(CLASSES);
        float[] s = softmax(y, i < 600 ? 3.0 : 1.0, rnd);
        int best = argmax(s);
        List<Float> probs = new ArrayList<>();
        for (float v : s) {
          probs.add(v);
        }
        long ts = 1_000_000 + 10L * i;
        Prediction pr = new Prediction(1, "s-" + i, "digits", 1, best, Integer.toString(best), s[best], probs, null,
            "onnx-cpu", "int8", ts - 2, ts);
        p.send(new ProducerRecord<>(topics.predictions().name(), pr.sampleId(), codec.encode(pr)));
        if (i % 2 == 0) {
          Outcome o = Outcome.of(pr, Feedback.of(pr.sampleId(), y, "test", ts + 100), ts + 100);
          p.send(new ProducerRecord<>(topics.outcomes().name(), o.sampleId(), codec.encode(o)));
        }
      }
      DriftReport alarm = new DriftReport(1, "r1", "digits", 1, "bbsd-ks", DriftReport.State.ALARM, 0.4, 0.2, 50, 2000, 640,
          "s-600", Map.of(), Map.of(), 1_000_000 + 10L * 640);
      p.send(new ProducerRecord<>(topics.drift().name(), alarm.key(), codec.encode(alarm)));
    }
    Path png = dir.resolve("out/report.png");
    StringWriter err = new StringWriter();
    int code = OspreyCommand.newCommandLine().setErr(new PrintWriter(err, true)).execute("monitor", "report",
        "--bootstrap-servers", kafka.bootstrapServers(), "--topic-prefix", "rep.", "--registry", registry.root().toString(),
        "--out", png.toString(), "--ert", "2000", "--window", "50", "-s", "monitor.drift.calibration.alarms=5",
        "--accuracy-window", "100");
    assertEquals(0, code, err::toString);
    long bytes = Files.size(png);
    assertTrue(bytes > 20_000, "PNG of " + bytes + " bytes");
    BufferedImage image = ImageIO.read(png.toFile());
    assertEquals(1200, image.getWidth());
    assertEquals(1200, image.getHeight());
  }

  static ModelRegistry registry(Path root, Path src) throws Exception {
    ModelRegistry registry = new ModelRegistry(root);
    Path file = Files.write(Files.createDirectories(src).resolve("m.onnx"), new byte[] {1, 2, 3});
    SplittableRandom rnd = new SplittableRandom(99);
    List<float[]> rows = new ArrayList<>();
    for (int i = 0; i < 2000; i++) {
      rows.add(softmax(rnd.nextInt(CLASSES), 3.0, rnd));
    }
    registry.publish(ModelDraft.builder()
        .setName("digits")
        .setArchitecture("mlp", Map.of("hidden", List.of(8)))
        .setInput(InputSpec.mnist())
        .setLabels(List.of("a", "b", "c"))
        .setFile(FileRoles.FP32_ONNX, file)
        .optReference(ReferenceProfile.fromSoftmax(rows, List.of(), 20, 2000, 7))
        .build());
    return registry;
  }

  static int argmax(float[] p) {
    int best = 0;
    for (int c = 1; c < p.length; c++) {
      if (p[c] > p[best]) {
        best = c;
      }
    }
    return best;
  }

  static float[] softmax(int label, double margin, SplittableRandom rnd) {
    double[] z = new double[CLASSES];
    double sum = 0;
    for (int c = 0; c < CLASSES; c++) {
      double u = 1 - rnd.nextDouble();
      z[c] = Math.exp((c == label ? margin : 0) + Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rnd.nextDouble()));
      sum += z[c];
    }
    float[] p = new float[CLASSES];
    for (int c = 0; c < CLASSES; c++) {
      p[c] = (float) (z[c] / sum);
    }
    return p;
  }
}
