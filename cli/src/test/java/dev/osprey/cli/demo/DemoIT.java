package dev.osprey.cli.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.osprey.core.data.Datasets;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs the README's `bin/osprey demo` steps, smaller, and checks the report's numbers. */
class DemoIT {
  @Test
  void demoStepsDeliverEveryRecordExactlyOnce(@TempDir Path work) throws Exception {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(buf, true, StandardCharsets.UTF_8);
    var options = new Demo.Options("fixture:train", 1500, 120, 0.2, 0, 7L, work, Duration.ofMinutes(2));
    try (Demo demo = new Demo(options, new Datasets(work), out)) {
      assertTrue(demo.startBroker().startsWith("127.0.0.1:"));
      demo.startIngest();
      var sent = demo.replay();
      assertEquals(1500, sent.samples());
      assertEquals(120, sent.junkTotal());
      var got = demo.awaitArrivals(sent);
      assertEquals(1500, got.samples());
      assertEquals(1500, got.distinctSampleIds());
      assertEquals(sent.feedback(), got.feedback());
      assertTrue(sent.feedback() > 200 && sent.feedback() < 400, "about 20% labeled: " + sent.feedback());
      assertEquals(120, got.dlq());
      assertTrue(demo.report(sent, got), buf.toString(StandardCharsets.UTF_8));
      String metrics = demo.scrape();
      assertTrue(metrics.contains("osprey_ingest_records_validated_total"), metrics);
    }
    String report = buf.toString(StandardCharsets.UTF_8);
    assertTrue(report.contains("OK: every sample validated exactly once"), report);
  }
}
