package dev.osprey.inference;

import dev.osprey.model.serving.TestModels;
import dev.osprey.core.djl.DjlOfflineGuard;
import dev.osprey.model.registry.ModelRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;

/**
 * An inference service in a JVM of its own, for the SIGKILL test: {@code BOOTSTRAP REGISTRY_DIR};
 * prints {@code READY} once started and runs until killed.
 */
public final class InferenceProcessMain {
  private InferenceProcessMain() {}

  public static void main(String[] args) throws Exception {
    DjlOfflineGuard.install();
    // as `osprey` does: ORT's libraries from a cache, not inflated into the temporary directory by
    // every start (where each SIGKILLed child would leave its 28 MB copy)
    dev.osprey.model.runtime.OrtNativeCache.install(java.nio.file.Path.of("target", "osprey-cache"));
    Properties kafka = new Properties();
    kafka.put("bootstrap.servers", args[0]);
    InferenceConfig config = InferenceConfig.of(TestModels.NAME).withBatching(32, Duration.ofMillis(5))
        .withHttp("127.0.0.1", -1, null);
    InferenceService service = new InferenceService(config, dev.osprey.core.topic.Topics.defaults(), new SimpleMeterRegistry(), new ModelRegistry(Path.of(args[1])), kafka);
    service.start();
    System.out.println("READY " + service.serving().orElseThrow().ref());
    System.out.flush();
    new CountDownLatch(1).await();
  }
}
