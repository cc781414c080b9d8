package dev.osprey.monitor.service;

import dev.osprey.core.event.EventCodec;
import dev.osprey.core.topic.Topics;
import dev.osprey.model.registry.ModelRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;

/**
 * The monitor in a JVM of its own, for the SIGKILL test: {@code BOOTSTRAP TOPIC_PREFIX REGISTRY_DIR}
 * with {@link MonitorKillRestartIT#config}; prints {@code READY} once started and runs until killed.
 */
public final class MonitorProcessMain {
  private MonitorProcessMain() {}

  public static void main(String[] args) throws Exception {
    Properties kafka = new Properties();
    kafka.put("bootstrap.servers", args[0]);
    MonitorService service = new MonitorService(MonitorKillRestartIT.config(kafka), new Topics(args[1], new EventCodec()),
        new SimpleMeterRegistry(), new ModelRegistry(Path.of(args[2])), new Properties());
    service.start();
    System.out.println("READY");
    System.out.flush();
    new CountDownLatch(1).await();
  }
}
