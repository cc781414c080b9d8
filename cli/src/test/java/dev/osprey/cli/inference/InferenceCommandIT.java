package dev.osprey.cli.inference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.osprey.broker.KafkaBrokerExtension;
import dev.osprey.cli.OspreyCommand;
import dev.osprey.core.djl.DjlOfflineGuard;
import dev.osprey.core.event.EventCodec;
import dev.osprey.core.event.ModelActivation;
import dev.osprey.core.topic.Topics;
import dev.osprey.inference.InferenceConfig;
import dev.osprey.model.runtime.RuntimeKind;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code osprey inference} option mapping and {@code osprey models activate} against a real broker. */
class InferenceCommandIT {
  static {
    DjlOfflineGuard.install();
  }

  @RegisterExtension static final KafkaBrokerExtension kafka = new KafkaBrokerExtension();
  @TempDir Path tmp;

  private record Run(int code, String out, String err) {}

  private static Run osprey(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli = OspreyCommand.newCommandLine();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    int code = cli.execute(args);
    return new Run(code, out.toString(), err.toString());
  }

  @Test
  void flagsBecomeInferenceKeys() {
    InferenceCommand cmd = new InferenceCommand();
    new CommandLine(cmd).parseArgs("--model", "digits", "--runtime", "auto", "--batch-size", "16", "--batch-delay", "PT0.002S",
        "--instance-id", "pod-1", "--http-port", "0", "-s", "inference.admin.token=0123456789abcdef0");
    InferenceConfig c = InferenceConfig.from(cmd.config().source());
    assertEquals("digits", c.modelName());
    assertEquals(RuntimeKind.AUTO, c.runtime());
    assertEquals(16, c.maxBatchSize());
    assertEquals(Duration.ofMillis(2), c.maxBatchDelay());
    assertEquals("osprey-inference-pod-1", c.transactionalId());
    assertEquals(0, c.httpPort());
    assertEquals("0123456789abcdef0", c.adminToken());
    assertTrue(osprey("--help").out().contains("inference"));
  }

  @Test
  void activatePublishesTheVersionWithItsManifestHash() throws Exception {
    kafka.createTopics(Topics.defaults(), 1);
    Path registry = tmp.resolve("reg");
    Path onnx;
    try (InputStream in = getClass().getResourceAsStream("/models/tiny-classifier.onnx")) {
      onnx = Files.write(tmp.resolve("tiny-classifier.onnx"), in.readAllBytes());
    }
    Run imported = osprey("models", "import", onnx.toString(), "--registry", registry.toString(), "--name", "tiny",
        "--labels", "a,b,c", "--input-shape", "1,4,4", "--dtype", "uint8", "--scale", "255", "--mean", "0.1307", "--std", "0.3081");
    assertEquals(0, imported.code(), imported.err());

    Run missing = osprey("models", "activate", "tiny", "2", "--registry", registry.toString(),
        "--bootstrap-servers", kafka.bootstrapServers());
    assertEquals(1, missing.code());
    assertTrue(missing.err().startsWith("refusing to activate tiny:2: no model tiny:2 in registry"), missing.err());

    Run ok = osprey("models", "activate", "tiny", "1", "--registry", registry.toString(),
        "--bootstrap-servers", kafka.bootstrapServers(), "--reason", "first release", "--actor", "cli:test");
    assertEquals(0, ok.code(), ok.err());
    assertTrue(ok.out().startsWith("activated tiny:1 (manifest sha256 "), ok.out());

    var props = kafka.clientProperties();
    props.put("isolation.level", "read_committed");
    try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer())) {
      TopicPartition tp = new TopicPartition(Topics.defaults().models().name(), 0);
      c.assign(List.of(tp));
      c.seekToBeginning(List.of(tp));
      List<ConsumerRecord<String, byte[]>> records = c.poll(Duration.ofSeconds(10)).records(tp);
      assertEquals(1, records.size());
      assertEquals("tiny", records.get(0).key());
      ModelActivation a = new EventCodec().decodeModelActivation(records.get(0).value());
      assertEquals(1, a.version());
      assertEquals("cli:test", a.actor());
      assertEquals("first release", a.reason());
      assertEquals(64, a.manifestSha256().length());
    }
  }
}
