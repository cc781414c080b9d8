package dev.osprey.inference.bench;

import dev.osprey.broker.EmbeddedKafkaBroker;
import dev.osprey.core.djl.DjlOfflineGuard;
import dev.osprey.core.kafka.TopicAdmin;
import dev.osprey.core.topic.Topics;
import dev.osprey.inference.TopicClients;
import dev.osprey.model.plan.HostProfile;
import dev.osprey.model.registry.ModelRegistry;
import dev.osprey.model.serving.TestModels;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.producer.KafkaProducer;

/**
 * Start-up as a user sees it (a measurement, not a test): {@code java -jar osprey.jar inference}
 * as its own process against a broker with a model in the registry and samples waiting, until the
 * service logs its first committed prediction, which it times from the JVM's start
 * ({@code osprey_inference_start_to_first_prediction_seconds}). Each variant is a set of JVM
 * options; variants alternate within each round, each start in a consumer group of its own. The
 * variant {@code cds} uses a class-data-sharing archive of the classes a start loads, made first by
 * one start with {@code -XX:ArchiveClassesAtExit} (what {@code bin/osprey} does on a service
 * command's first run).
 *
 * <p>Args: {@code JAR [rounds=5]}.
 */
public final class StartupBenchmark {
  private static final Pattern FIRST = Pattern.compile("first prediction committed ([0-9.]+) s after the process started");

  private StartupBenchmark() {}

  public static void main(String[] args) throws Exception {
    DjlOfflineGuard.install();
    Path jar = Path.of(args.length > 0 ? args[0] : "../cli/target/osprey.jar").toAbsolutePath();
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
    Path work = Files.createTempDirectory("osprey-startup-");
    try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(EmbeddedKafkaBroker.Config.ephemeral())) {
      java.util.Properties kafka = new java.util.Properties();
      kafka.put("bootstrap.servers", broker.bootstrapServers());
      Topics topics = Topics.defaults();
      try (TopicAdmin admin = new TopicAdmin(kafka)) {
        admin.createAll(topics, 3, (short) 1);
      }
      ModelRegistry registry = new ModelRegistry(work.resolve("registry"));
      TestModels.publish(registry, 0);
      try (KafkaProducer<String, byte[]> producer = TopicClients.producer(kafka)) {
        TopicClients.activate(producer, topics, 1);
        List<dev.osprey.core.event.Sample> samples = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
          samples.add(TestModels.sample("start", i, System.currentTimeMillis()));
        }
        TopicClients.sendSamples(producer, topics, samples);
      }
      Path archive = work.resolve("osprey.jsa");
      double made = start(jar, kafka, registry, "archive", List.of("-XX:ArchiveClassesAtExit=" + archive), true);
      System.err.printf("archive made by a start of %.2f s: %d MiB%n", made, Files.size(archive) >> 20);

      Map<String, List<String>> variants = new LinkedHashMap<>();
      variants.put("default", List.of());
      variants.put("cds", List.of("-XX:SharedArchiveFile=" + archive));
      // another variant to compare, e.g. a profiler's options; {archive} stands for the archive's path
      String extra = System.getProperty("startup.options");
      if (extra != null) {
        variants.put(extra, List.of(extra.replace("{archive}", archive.toString()).split(" ")));
      }
      Map<String, double[]> seconds = new LinkedHashMap<>();
      variants.keySet().forEach(v -> seconds.put(v, new double[rounds]));
      List<String> order = new ArrayList<>(variants.keySet());
      for (int round = 0; round < rounds; round++) {
        for (int k = 0; k < order.size(); k++) {
          String v = order.get((k + round) % order.size());
          // a variant with options of its own (a profiler) exits normally, so that it writes its files
          seconds.get(v)[round] = start(jar, kafka, registry, order.indexOf(v) + "-" + round, variants.get(v),
              v.equals(extra));
          System.err.printf("round %d %s: %.2f s%n", round + 1, v, seconds.get(v)[round]);
        }
      }
      String[] load = Files.readString(Path.of("/proc/loadavg")).split(" ");
      System.out.printf(Locale.ROOT, "%s, load %s %s %s; %d rounds%n%n| JVM options | start to first committed "
          + "prediction, median s | min s |%n|---|---|---|%n", HostProfile.current().key(), load[0], load[1], load[2],
          rounds);
      seconds.forEach((v, s) -> {
        double[] sorted = s.clone();
        Arrays.sort(sorted);
        System.out.printf(Locale.ROOT, "| %s | %.2f | %.2f |%n", v, sorted[sorted.length / 2], sorted[0]);
      });
    } finally {
      try (var walk = Files.walk(work)) {
        walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  /** One start in group {@code group}; the seconds it reports. {@code waitForExit}: SIGTERM it and wait (archive dump). */
  private static double start(Path jar, java.util.Properties kafka, ModelRegistry registry, String group,
      List<String> jvmOptions, boolean waitForExit) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("java", "-Xmx1g", "-Dai.djl.offline=true"));
    cmd.addAll(jvmOptions);
    cmd.addAll(List.of("-jar", jar.toString(), "inference", "--bootstrap-servers", kafka.getProperty("bootstrap.servers"),
        "--registry", registry.root().toString(), "--model", TestModels.NAME, "--http-port", "-1",
        "-s", "inference.group.id=bench-start-" + group));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().put("OPT_OUT_TRACKING", "true");
    Process p = pb.start();
    StringBuilder said = new StringBuilder();
    try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
      String line;
      while (System.nanoTime() < deadline && (line = r.readLine()) != null) {
        said.append(line).append('\n');
        Matcher m = FIRST.matcher(line);
        if (m.find()) {
          double s = Double.parseDouble(m.group(1));
          if (Boolean.getBoolean("startup.log")) {
            System.err.print(said); // the child's own log: where its start-up went
          }
          p.destroy();
          if (waitForExit && !p.waitFor(60, TimeUnit.SECONDS)) {
            throw new IllegalStateException("the archiving start did not exit:\n" + said);
          }
          return s;
        }
      }
      throw new IllegalStateException("no first prediction from " + cmd + ":\n" + said);
    } finally {
      p.destroyForcibly();
      p.waitFor(30, TimeUnit.SECONDS);
    }
  }
}
