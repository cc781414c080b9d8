package dev.osprey.cli.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.osprey.cli.OspreyCommand;
import dev.osprey.ingest.IngestConfig;
import dev.osprey.ingest.LabelJoinSettings;
import dev.osprey.ingest.replay.DriftSpec;
import dev.osprey.ingest.replay.ReplayConfig;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class IngestCommandTest {
  @SuppressWarnings("unchecked")
  private static <T> T parse(String... args) {
    CommandLine.ParseResult r = OspreyCommand.newCommandLine().parseArgs(args);
    return (T) r.subcommand().subcommand().commandSpec().userObject();
  }

  @Test
  void replayOptionsBecomeTheReplayConfig() {
    IngestCommand.Replay replay = parse("ingest", "replay", "--dataset", "fixture:test", "--rate", "250", "--limit", "50",
        "--seed", "7", "--start-time", "1000", "--drift", "rotate:30@10,invert@20", "--drift", "skew:3=0.5",
        "--feedback-fraction", "0.5", "--feedback-delay", "3", "--junk", "9", "--junk-too-large-bytes", "20000",
        "--no-progress");
    ReplayConfig want = new ReplayConfig("fixture:test", "replay-7-1000", 50, 250, 7,
        List.of(DriftSpec.parse("rotate:30@10"), DriftSpec.parse("invert@20"), DriftSpec.parse("skew:3=0.5@0")),
        0.5, 3, 9, 20000, 1000, false);
    assertEquals(want, replay.replayConfig(123));

    IngestCommand.Replay defaults = parse("ingest", "replay");
    assertEquals(new ReplayConfig("fixture:train", "replay-42-123", 0, 100, 42, List.of(), 0, 100, 0,
        ReplayConfig.DEFAULT_JUNK_TOO_LARGE_BYTES, 123, true), defaults.replayConfig(123));
  }

  @Test
  void aBadDriftSpecIsAUsageErrorWithTheReason() {
    StringWriter err = new StringWriter();
    CommandLine cl = OspreyCommand.newCommandLine();
    cl.setErr(new PrintWriter(err));
    int code = cl.execute("ingest", "replay", "--drift", "spin:3@1", "--no-progress", "--bootstrap-servers", "127.0.0.1:9");
    assertEquals(2, code);
    assertTrue(err.toString().startsWith("drift 'spin:3@1': unknown drift 'spin'"), err.toString());
  }

  @Test
  void serveOptionsBecomeTheIngestConfigWithKafkaPassthrough() {
    IngestCommand.Serve serve = parse("ingest", "serve", "--bootstrap-servers", "10.0.0.1:9093", "--application-id", "ing-2",
        "--max-sample-bytes", "1000", "--dedupe-window", "PT1M", "--state-dir", "st", "-s", "kafka.security.protocol=SSL");
    IngestConfig c = serve.ingestConfig(serve.config());
    Properties kafka = new Properties();
    kafka.put("bootstrap.servers", "10.0.0.1:9093");
    kafka.put("security.protocol", "SSL");
    assertEquals(new IngestConfig("ing-2", kafka, 1000, Duration.ofMinutes(1), Path.of("st"), IngestConfig.DEFAULT_START_TIMEOUT), c);
    assertEquals("SSL", c.kafka().get("security.protocol"));

    IngestCommand.Serve bad = parse("ingest", "serve", "--dedupe-window", "10 minutes");
    var e = assertThrows(IllegalArgumentException.class, () -> bad.ingestConfig(bad.config()));
    assertEquals("config 'ingest.dedupe.window' must be an ISO-8601 duration like PT10M, got '10 minutes'", e.getMessage());
  }

  @Test
  void serveRunsTheLabelJoinsUnlessTurnedOff() {
    IngestCommand.Serve defaults = parse("ingest", "serve");
    assertEquals(new LabelJoinSettings(true, Duration.ofHours(1)), defaults.joinSettings(defaults.config()));
    IngestCommand.Serve tuned = parse("ingest", "serve", "--join-window", "PT5M");
    assertEquals(new LabelJoinSettings(true, Duration.ofMinutes(5)), tuned.joinSettings(tuned.config()));
    IngestCommand.Serve off = parse("ingest", "serve", "--no-joins");
    assertEquals(false, off.joinSettings(off.config()).enabled());
    IngestCommand.Serve byKey = parse("ingest", "serve", "-s", "ingest.joins.enabled=false");
    assertEquals(false, byKey.joinSettings(byKey.config()).enabled());
    IngestCommand.Serve bad = parse("ingest", "serve", "--join-window", "PT0S");
    var e = assertThrows(IllegalArgumentException.class, () -> bad.joinSettings(bad.config()));
    assertEquals("config 'ingest.join.window' must be a positive duration, got 'PT0S'", e.getMessage());
  }
}
