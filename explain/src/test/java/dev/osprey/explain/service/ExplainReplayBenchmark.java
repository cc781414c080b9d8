package dev.osprey.explain.service;

import dev.osprey.broker.EmbeddedKafkaBroker;
import dev.osprey.core.event.Explanation;
import dev.osprey.core.kafka.TopicAdmin;
import dev.osprey.core.topic.Topics;
import dev.osprey.explain.PublishedDigits;
import dev.osprey.explain.sampling.CpuBudget;
import dev.osprey.explain.sampling.SamplingPolicy;
import dev.osprey.model.registry.ModelRegistry;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * The acceptance replay at full size (a measurement, not a test): an embedded broker, two registry
 * versions of the fixture model, the explain service at 20/s plus every prediction below 0.6
 * confidence, {@code N} samples and their predictions (version 1, then an activation of version 2
 * halfway). Prints what was chosen and explained, whether every explanation names the version that
 * predicted it, the time per method and the lag, and the PNG count.
 *
 * <p>Args: {@code [samples] [heatmap-dir]} (default 10,000 and a temporary directory).
 */
public final class ExplainReplayBenchmark {
  private ExplainReplayBenchmark() {}

  public static void main(String[] args) throws Exception {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
    Path work = Files.createTempDirectory("explain-replay");
    Path heatmaps = args.length > 1 ? Path.of(args[1]) : work.resolve("heatmaps");
    double loadBefore = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(EmbeddedKafkaBroker.Config.ephemeral())) {
      Properties kafka = new Properties();
      kafka.put("bootstrap.servers", broker.bootstrapServers());
      Topics topics = Topics.defaults();
      try (TopicAdmin admin = new TopicAdmin(kafka)) {
        admin.createAll(topics, 2, (short) 1);
      }
      ModelRegistry registry = new ModelRegistry(work.resolve("registry"));
      System.err.println("training and publishing the fixture model...");
      int v1 = PublishedDigits.publish(registry, work).manifest().version();
      int v2 = PublishedDigits.publish(registry, work).manifest().version();
      DigitTraffic.activate(kafka, topics, v1);
      MeterRegistry meters = new SimpleMeterRegistry();
      ExplainConfig config = ExplainConfig.of(PublishedDigits.NAME)
          .withSampling(new SamplingPolicy.Config(20, 20, 0.6, true, true, 10_000))
          // the acceptance counts every chosen prediction's explanation: no CPU budget thinning them out
          .withBudget(CpuBudget.Config.off())
          .withHeatmaps(heatmaps, 500)
          .withHttp("127.0.0.1", -1)
          .withOffsetReset("earliest");
      try (ExplainService service = new ExplainService(config, topics, meters, registry, kafka)) {
        service.start();
        long start = System.nanoTime();
        System.err.printf("replaying %d samples (methods %s)...%n", n, config.methods());
        DigitTraffic.Produced traffic = DigitTraffic.replay(kafka, topics, n, v1, v2, () -> {
          DigitTraffic.activate(kafka, topics, v2);
          long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
          while (service.serving().map(s -> s.ref().version()).orElse(0) != v2 && System.nanoTime() < deadline) {
            Thread.onSpinWait();
          }
        }, 0.6f);
        double produced = (System.nanoTime() - start) / 1e9;
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(30);
        while (System.nanoTime() < deadline && (sum(meters, ExplainMetrics.SAMPLED) + sum(meters, ExplainMetrics.SKIPPED) < n
            || count(meters, "ig") < sum(meters, ExplainMetrics.SAMPLED))) {
          Thread.sleep(500); // a benchmark main, not a test: polling the meters is the measurement
          System.err.printf("\r%.0f decided, %.0f explained", sum(meters, ExplainMetrics.SAMPLED)
              + sum(meters, ExplainMetrics.SKIPPED), count(meters, "ig"));
        }
        double elapsed = (System.nanoTime() - start) / 1e9;
        long chosen = (long) sum(meters, ExplainMetrics.SAMPLED);
        List<Explanation> written = read(kafka, topics, chosen * config.methods().size());
        long wrongVersion = written.stream()
            .filter(e -> traffic.versionOf().get(e.sampleId()) != e.modelVersion()).count();
        Set<String> explainedIds = new HashSet<>();
        written.forEach(e -> explainedIds.add(e.sampleId()));
        double[] lag = written.stream().mapToDouble(e -> e.timestamp() - e.predictionTimestamp()).sorted().toArray();
        long pngs;
        try (Stream<Path> files = Files.list(heatmaps)) {
          pngs = files.filter(f -> f.toString().endsWith(".png")).count();
        }
        StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "samples %d over %.1f s of prediction time (produced in %.1f s), "
                + "load average before %.2f, after %.2f%n", n, (traffic.lastTimestamp() - traffic.firstTimestamp()) / 1e3,
            produced, loadBefore, ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage()));
        out.append(String.format(Locale.ROOT, "chosen %d: sampled %.0f (bound 20 + 20/s = %.0f), low-confidence %.0f "
                + "(expected %d); skipped %.0f rate-limited, %.0f other%n", chosen,
            meters.counter(ExplainMetrics.SAMPLED, "reason", "sampled").count(),
            20 + 20 * (traffic.lastTimestamp() - traffic.firstTimestamp()) / 1e3,
            meters.counter(ExplainMetrics.SAMPLED, "reason", "low-confidence").count(), traffic.lowConfidence().size(),
            meters.counter(ExplainMetrics.SKIPPED, "reason", "rate-limited").count(),
            sum(meters, ExplainMetrics.SKIPPED) - meters.counter(ExplainMetrics.SKIPPED, "reason", "rate-limited").count()));
        out.append(String.format(Locale.ROOT, "explanations %d (%d samples; every low-confidence one explained: %s); "
                + "naming another version than the prediction's: %d; PNGs kept %d%n", written.size(), explainedIds.size(),
            explainedIds.containsAll(traffic.lowConfidence()), wrongVersion, pngs));
        out.append(String.format(Locale.ROOT, "all explained %.1f s after the replay started; lag median %.0f ms, p95 %.0f ms%n",
            elapsed, quantile(lag, 0.5), quantile(lag, 0.95)));
        for (Timer t : meters.find(ExplainMetrics.DURATION).timers()) {
          out.append(String.format(Locale.ROOT, "  %-10s mean %.1f ms, max %.1f ms over %d%n", t.getId().getTag("method"),
              t.mean(TimeUnit.MILLISECONDS), t.max(TimeUnit.MILLISECONDS), t.count()));
        }
        System.err.println();
        System.out.print(out);
      }
    }
  }

  private static double sum(MeterRegistry meters, String name) {
    return meters.find(name).counters().stream().mapToDouble(Counter::count).sum();
  }

  private static double count(MeterRegistry meters, String method) {
    return meters.find(ExplainMetrics.EXPLANATIONS).tag("method", method).counters().stream()
        .mapToDouble(Counter::count).sum();
  }

  private static double quantile(double[] sorted, double q) {
    return sorted.length == 0 ? Double.NaN : sorted[Math.min(sorted.length - 1, (int) Math.ceil(q * sorted.length) - 1)];
  }

  private static List<Explanation> read(Properties kafka, Topics topics, long expected) {
    Properties c = new Properties();
    c.putAll(kafka);
    c.put(ConsumerConfig.GROUP_ID_CONFIG, "explain-replay-reader");
    c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    List<Explanation> out = new ArrayList<>();
    try (KafkaConsumer<String, Explanation> reader = new KafkaConsumer<>(c, new StringDeserializer(),
        topics.explanations().valueSerde().deserializer())) {
      reader.subscribe(List.of(topics.explanations().name()));
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (out.size() < expected && System.nanoTime() < deadline) {
        for (ConsumerRecord<String, Explanation> r : reader.poll(Duration.ofMillis(200))) {
          out.add(r.value());
        }
      }
    }
    return out;
  }
}
