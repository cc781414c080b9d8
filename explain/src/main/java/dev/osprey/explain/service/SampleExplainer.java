package dev.osprey.explain.service;

import dev.osprey.core.event.Explanation;
import dev.osprey.core.event.InvalidEventException;
import dev.osprey.core.event.Sample;
import dev.osprey.explain.AttributionMap;
import dev.osprey.explain.ImageShape;
import dev.osprey.explain.Method;
import dev.osprey.explain.render.HeatmapRenderer;
import dev.osprey.explain.sampling.SkipReason;
import dev.osprey.explain.sampling.Trigger;
import dev.osprey.model.Softmax;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.imageio.ImageIO;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Explains one sample with the exact model version that predicted it: opens (or reuses) the
 * version, normalizes the sample as the model expects, runs the methods, turns each map into an
 * {@link Explanation}, prepares the heatmap PNG (input + one overlay per method, rendered when first
 * asked for), and records the metrics. No Kafka here: the stream loop and the HTTP handler both call it, from one thread.
 */
public final class SampleExplainer {
  private static final Logger LOG = LoggerFactory.getLogger(SampleExplainer.class);

  /**
   * What to explain.
   *
   * @param version the registry version that made the prediction
   * @param label the class explained (the predicted one), or -1 for the served graph's top class
   */
  public record Target(String sampleId, int version, int label, Trigger trigger, long predictionTimestamp) {}

  /**
   * The explanations (one per method that ran) and the heatmap (rendered when first asked for), or
   * why there are none.
   */
  public record Result(List<Explanation> explanations, Heatmap heatmap, SkipReason skipped) {
    static Result skip(SkipReason r) {
      return new Result(List.of(), Heatmap.of(null), r);
    }

    /** The heatmap PNG, rendered now if it was not yet; null if it could not be rendered. */
    public byte[] png() {
      return heatmap.get();
    }
  }

  private final String modelName;
  private final List<Method> methods;
  private final int topFeatures;
  private final VersionCache versions;
  private final ExplainMetrics metrics;
  private final HeatmapRenderer renderer = new HeatmapRenderer(4);
  private final Clock clock;

  public SampleExplainer(String modelName, List<Method> methods, int topFeatures, VersionCache versions,
      ExplainMetrics metrics, Clock clock) {
    this.modelName = modelName;
    this.methods = List.copyOf(methods);
    this.topFeatures = topFeatures;
    this.versions = versions;
    this.metrics = metrics;
    this.clock = clock;
  }

  /** Explains with the configured methods. */
  public Result explain(Sample sample, Target target) {
    return explain(sample, target, methods);
  }

  /** Explains with {@code with} (e.g. an HTTP request's {@code ?methods=}). */
  public Result explain(Sample sample, Target target, List<Method> with) {
    long start = System.nanoTime();
    VersionRuntime runtime = versions.get(target.version());
    if (runtime == null) {
      return Result.skip(SkipReason.VERSION_UNAVAILABLE);
    }
    float[] x = new float[runtime.input().size()];
    try {
      runtime.input().normalize(sample.tensor(), x, 0);
    } catch (InvalidEventException | RuntimeException e) {
      LOG.warn("sample {} does not fit {}: {}", sample.id(), runtime.manifest().ref(), e.getMessage());
      return Result.skip(SkipReason.INVALID_EVENT);
    }
    int label = target.label() >= 0 ? target.label() : Softmax.argmax(runtime.scores(x));
    if (label >= runtime.manifest().labels().size()) {
      LOG.warn("label {} of sample {} is outside {}'s labels", label, sample.id(), runtime.manifest().ref());
      return Result.skip(SkipReason.INVALID_EVENT);
    }
    List<AttributionMap> maps = runtime.explain(x, label, with);
    if (maps.isEmpty()) {
      return Result.skip(SkipReason.FAILED);
    }
    long now = clock.millis();
    var subject = new ExplanationEvents.Subject(sample.id(), modelName, target.version(), target.trigger().wireName(),
        target.predictionTimestamp());
    List<Explanation> events = new ArrayList<>(maps.size());
    for (AttributionMap m : maps) {
      events.add(ExplanationEvents.of(m, m.featureValues() != null ? runtime.grid() : null, subject, topFeatures,
          Map.of(), now));
      metrics.explained(m.method(), target.trigger(), m.timingsMillis().getOrDefault("total", 0.0),
          m.completenessResidual());
    }
    Heatmap png = heatmap(x, runtime, sample.id(), target, label, maps);
    LOG.debug("explained {} ({}, v{}) with {} in {} ms", sample.id(), target.trigger(), target.version(),
        maps.size(), (System.nanoTime() - start) / 1_000_000);
    return new Result(events, png, null);
  }

  /** The heatmap of these maps, rendered when first asked for (it holds the input and the maps until then). */
  private Heatmap heatmap(float[] x, VersionRuntime runtime, String id, Target target, int label,
      List<AttributionMap> maps) {
    String title = String.format(Locale.ROOT, "%s v%d: %s (%s)", modelName, target.version(), runtime.manifest().labels().get(label),
        target.trigger());
    ImageShape shape = runtime.shape();
    return new Heatmap(() -> {
      try {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(renderer.render(x, shape, title, maps), "png", out);
        return out.toByteArray();
      } catch (IOException | RuntimeException e) {
        LOG.warn("cannot render the heatmap of {}: {}", id, e.toString());
        return null;
      }
    });
  }
}
