package dev.osprey.explain.service;

import dev.osprey.core.djl.DjlOfflineGuard;
import dev.osprey.core.event.EventCodec;
import dev.osprey.core.topic.Topics;
import dev.osprey.model.registry.ModelRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;

/**
 * The explain service in a JVM of its own, for the SIGKILL test: {@code BOOTSTRAP TOPIC_PREFIX REGISTRY_DIR}
 * with {@link ExplainKillRestartIT#config}; prints {@code READY} once it serves a model and runs until killed.
 */
public final class ExplainProcessMain {
  private ExplainProcessMain() {}

  public static void main(String[] args) throws Exception {
    DjlOfflineGuard.install();
    // as `osprey` does: ORT's libraries from a cache, not inflated into the temporary directory by
    // every start (where each SIGKILLed child would leave its 28 MB copy)
    dev.osprey.model.runtime.OrtNativeCache.install(java.nio.file.Path.of("target", "osprey-cache"));
    System.setProperty("ai.djl.pytorch.num_threads", "1"); // as the test JVM (TrainedDigits)
    System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
    Properties kafka = new Properties();
    kafka.put("bootstrap.servers", args[0]);
    ExplainService service = new ExplainService(ExplainKillRestartIT.config(), new Topics(args[1], new EventCodec()),
        new SimpleMeterRegistry(), new ModelRegistry(Path.of(args[2])), ExplainKillRestartIT.kafka(kafka));
    service.start();
    System.out.println("READY " + service.serving().orElseThrow().ref());
    System.out.flush();
    new CountDownLatch(1).await();
  }
}
