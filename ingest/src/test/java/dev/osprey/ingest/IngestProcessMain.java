package dev.osprey.ingest;

import dev.osprey.core.event.EventCodec;
import dev.osprey.core.topic.Topics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;

/**
 * Ingest in a JVM of its own, for the SIGKILL test: {@code BOOTSTRAP TOPIC_PREFIX STATE_DIR validate|joins};
 * runs the validation topologies or the label joins ({@link IngestKillRestartIT#JOIN_WINDOW}), prints
 * {@code READY} once RUNNING and runs until killed.
 */
public final class IngestProcessMain {
  private IngestProcessMain() {}

  public static void main(String[] args) throws Exception {
    Properties kafka = new Properties();
    kafka.put("bootstrap.servers", args[0]);
    Topics topics = new Topics(args[1], new EventCodec());
    IngestConfig config = IngestKillRestartIT.config(kafka, Path.of(args[2]));
    IngestService service = switch (args[3]) {
      case "validate" -> new IngestService(config, topics, new SimpleMeterRegistry());
      case "joins" -> IngestService.labelJoins(config, topics, new SimpleMeterRegistry(), IngestKillRestartIT.JOIN_WINDOW);
      default -> throw new IllegalArgumentException("validate or joins, not " + args[3]);
    };
    service.start();
    System.out.println("READY " + args[3]);
    System.out.flush();
    new CountDownLatch(1).await();
  }
}
