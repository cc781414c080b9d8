package dev.osprey.cli.explain;

import dev.osprey.cli.CommonOptions;
import dev.osprey.core.config.OspreyConfig;
import dev.osprey.core.event.Attribution;
import dev.osprey.core.event.EventCodec;
import dev.osprey.core.event.Explanation;
import dev.osprey.core.event.InvalidEventException;
import dev.osprey.core.event.Sample;
import dev.osprey.core.topic.Topics;
import dev.osprey.explain.Method;
import dev.osprey.explain.sampling.Trigger;
import dev.osprey.explain.service.ExplainConfig;
import dev.osprey.explain.service.ExplainMetrics;
import dev.osprey.explain.service.MethodSettings;
import dev.osprey.explain.service.SampleExplainer;
import dev.osprey.explain.service.VersionCache;
import dev.osprey.explain.service.VersionRuntime;
import dev.osprey.model.registry.ModelRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code osprey explain sample}: explains one sample with a registry version, prints the top features, writes the heatmap. */
@Command(name = "sample", mixinStandardHelpOptions = true,
    description = "Explain one sample (from a file in the event format, or by id from osprey.samples) with a model "
        + "version from the registry; prints each method's top features and writes a PNG heatmap.")
public final class ExplainSampleCommand implements Callable<Integer> {
  @Mixin CommonOptions common;
  @Spec CommandSpec spec;

  @Option(names = "--model", required = true, description = "Registry name of the model.")
  String model;

  @Option(names = "--version", description = "Registry version (default: the latest).")
  Integer version;

  static final class Source {
    @Option(names = "--file", description = "The sample as JSON in the event format (osprey.samples).")
    Path file;

    @Option(names = "--id", description = "A sample id: read from osprey.samples (from the beginning).")
    String id;
  }

  @ArgGroup(exclusive = true, multiplicity = "1")
  Source source;

  @Option(names = "--methods", defaultValue = "ig,gradcam,occlusion",
      description = "Comma-separated: gradient, smoothgrad, ig, gradcam, occlusion, shap (default ${DEFAULT-VALUE}).")
  String methods;

  @Option(names = "--label", description = "The class to explain (default: the model's top class).")
  Integer label;

  @Option(names = "--png", description = "Where to write the heatmap PNG (input + one overlay per method).")
  Path png;

  @Option(names = "--top", defaultValue = "5", description = "Top features printed per method (default ${DEFAULT-VALUE}).")
  int top;

  @Option(names = "--timeout", defaultValue = "PT30S", description = "How long to search osprey.samples for --id (ISO-8601).")
  Duration timeout;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    OspreyConfig cfg = common.config();
    List<Method> with;
    try {
      with = ExplainConfig.parseMethods(methods);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage(), e);
    }
    ModelRegistry registry = new ModelRegistry(cfg.paths().registryDir());
    int v = version != null ? version : registry.latest(model).orElseThrow(() -> new ParameterException(
        spec.commandLine(), "model '" + model + "' has no version in " + registry.root()));
    Sample sample = source.file != null ? read(source.file) : find(cfg, source.id);
    if (sample == null) {
      err.println("sample '" + source.id + "' not found on osprey.samples within " + timeout);
      return 2;
    }
    MethodSettings settings = MethodSettings.from(cfg.source());
    try (VersionCache versions = new VersionCache(1, n -> VersionRuntime.open(registry.load(model, n), settings, 2))) {
      SampleExplainer explainer = new SampleExplainer(model, with, top, versions,
          new ExplainMetrics(new SimpleMeterRegistry()), Clock.systemUTC());
      SampleExplainer.Result r = explainer.explain(sample,
          new SampleExplainer.Target(sample.id(), v, label == null ? -1 : label, Trigger.REQUEST, sample.timestamp()));
      if (r.skipped() != null) {
        err.println("not explained: " + r.skipped());
        return 1;
      }
      for (Explanation e : r.explanations()) {
        out.println(describe(e));
      }
      if (png != null && r.png() != null) {
        if (png.toAbsolutePath().getParent() != null) {
          Files.createDirectories(png.toAbsolutePath().getParent());
        }
        Files.write(png, r.png());
        out.println("heatmap: " + png);
      }
    }
    return 0;
  }

  static String describe(Explanation e) {
    String top = e.topFeatures().stream()
        .map((Attribution a) -> String.format(Locale.ROOT, "%d:%+.3g", a.index(), a.value()))
        .collect(Collectors.joining(" "));
    return String.format(Locale.ROOT, "%-10s %s:%d %s/%s class %d%s  %.1f ms  top %s", e.method(), e.modelName(),
        e.modelVersion(), e.runtime(), e.precision(), e.targetLabel(),
        e.completenessResidual() == null ? "" : String.format(Locale.ROOT, "  residual %+.2g", e.completenessResidual()),
        e.timingsMillis().getOrDefault("total", 0.0), top);
  }

  private Sample read(Path file) throws Exception {
    try {
      return new EventCodec().decodeSample(Files.readAllBytes(file));
    } catch (InvalidEventException e) {
      throw new ParameterException(spec.commandLine(), file + " is not a sample: " + e.getMessage(), e);
    }
  }

  /** Scans osprey.samples from the beginning for the id (no group: nothing is committed). */
  private Sample find(OspreyConfig cfg, String id) throws InvalidEventException {
    Topics topics = new Topics(cfg.topics().prefix(), new EventCodec());
    EventCodec codec = new EventCodec();
    try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(cfg.kafka().clientProperties(),
        new StringDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> parts = consumer.partitionsFor(topics.samples().name(), timeout).stream()
          .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
      consumer.assign(parts);
      consumer.seekToBeginning(parts);
      var end = consumer.endOffsets(parts, timeout);
      long deadline = System.nanoTime() + timeout.toNanos();
      while (System.nanoTime() < deadline) {
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          if (id.equals(r.key())) {
            return codec.decodeSample(r.value());
          }
        }
        if (parts.stream().allMatch(p -> consumer.position(p) >= end.get(p))) {
          return null;
        }
      }
    }
    return null;
  }
}
