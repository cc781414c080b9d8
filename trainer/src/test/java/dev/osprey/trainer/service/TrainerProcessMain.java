package dev.osprey.trainer.service;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import dev.osprey.core.data.Datasets;
import dev.osprey.core.djl.DjlOfflineGuard;
import dev.osprey.core.event.EventCodec;
import dev.osprey.core.topic.Topics;
import dev.osprey.model.registry.ManifestCodec;
import dev.osprey.model.registry.ModelRegistry;
import dev.osprey.trainer.ClassifierTrainer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import org.slf4j.LoggerFactory;

/**
 * The trainer in a JVM of its own, for the SIGKILL test:
 * {@code BOOTSTRAP TOPIC_PREFIX REGISTRY_DIR DATASETS_DIR hold-training|hold-publish} with
 * {@link TrainerFixture#config()}; prints {@code READY} once started and runs until killed. It is
 * held, through test seams only (no production code waits), at a point the test then kills it at:
 * {@code hold-training}: the training's log line at the end of epoch 1 (a logback appender on
 * {@link ClassifierTrainer}'s logger) prints {@value #TRAINING} and never returns, so the network is
 * half trained; {@code hold-publish}: the registry's clock, which {@link ModelRegistry#publish} reads
 * once, after the version's files are in its staging directory and before the manifest is written,
 * prints {@value #PUBLISHING} and never returns.
 */
public final class TrainerProcessMain {
  /** Printed when the training is held after its first epoch. */
  static final String TRAINING = "HELD IN TRAINING";
  /** Printed by the held registry clock. */
  static final String PUBLISHING = "HELD IN PUBLISH";

  static {
    DjlOfflineGuard.install();
    // as `osprey` does: ORT's libraries from a cache, not inflated into the temporary directory by
    // every start (where each SIGKILLed child would leave its 28 MB copy)
    dev.osprey.model.runtime.OrtNativeCache.install(java.nio.file.Path.of("target", "osprey-cache"));
    System.setProperty("ai.djl.pytorch.num_threads", "2");
  }

  private TrainerProcessMain() {}

  public static void main(String[] args) throws Exception {
    Properties kafka = new Properties();
    kafka.put("bootstrap.servers", args[0]);
    Topics topics = new Topics(args[1], new EventCodec());
    ModelRegistry registry = switch (args[4]) {
      case "hold-training" -> {
        holdAfterFirstEpoch();
        yield new ModelRegistry(Path.of(args[2]));
      }
      case "hold-publish" -> new ModelRegistry(Path.of(args[2]), new HeldClock(), new ManifestCodec());
      default -> throw new IllegalArgumentException("hold-training or hold-publish, not " + args[4]);
    };
    TrainerService service = new TrainerService(TrainerFixture.config(), topics, new SimpleMeterRegistry(), registry, kafka,
        new Datasets(Path.of(args[3])), Clock.systemUTC(), RunHooks.NONE);
    service.start();
    System.out.println("READY " + args[4]);
    System.out.flush();
    new CountDownLatch(1).await();
  }

  /** Holds the training thread when it logs the end of its first epoch. */
  private static void holdAfterFirstEpoch() {
    Logger trainer = (Logger) LoggerFactory.getLogger(ClassifierTrainer.class);
    trainer.setLevel(Level.INFO);
    AppenderBase<ILoggingEvent> hold = new AppenderBase<>() {
      @Override
      protected void append(ILoggingEvent event) {
        if (event.getFormattedMessage().contains(" epoch 1/")) {
          holdUntilKilled(TRAINING + ": " + event.getFormattedMessage());
        }
      }
    };
    hold.setContext(trainer.getLoggerContext());
    hold.start();
    trainer.addAppender(hold);
  }

  private static void holdUntilKilled(String line) {
    System.gc();
    Runtime rt = Runtime.getRuntime();
    System.out.printf("heap in use after a GC: %d MiB of at most %d MiB%n", (rt.totalMemory() - rt.freeMemory()) >> 20,
        rt.maxMemory() >> 20);
    System.out.println(line);
    System.out.flush();
    CountDownLatch never = new CountDownLatch(1);
    while (true) {
      try {
        never.await();
      } catch (InterruptedException e) {
        // held until killed
      }
    }
  }

  /** A clock whose first reading never returns. */
  private static final class HeldClock extends Clock {
    @Override
    public Instant instant() {
      holdUntilKilled(PUBLISHING);
      throw new AssertionError("unreachable");
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }
  }
}
