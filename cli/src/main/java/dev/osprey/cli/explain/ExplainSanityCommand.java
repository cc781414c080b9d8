package dev.osprey.cli.explain;

import dev.osprey.cli.CommonOptions;
import dev.osprey.core.config.OspreyConfig;
import dev.osprey.core.data.Datasets;
import dev.osprey.core.data.ImageDataset;
import dev.osprey.explain.Method;
import dev.osprey.explain.model.DjlNetwork;
import dev.osprey.explain.sanity.SanityRun;
import dev.osprey.explain.service.ExplainConfig;
import dev.osprey.explain.service.MethodSettings;
import dev.osprey.model.registry.ModelRegistry;
import dev.osprey.model.registry.ModelVersion;
import dev.osprey.model.runtime.ImageBatches;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code osprey explain sanity}: cascading-randomization check and deletion curves of every method. */
@Command(name = "sanity", mixinStandardHelpOptions = true,
    description = "Sanity-check the explanation methods on a model version (Adebayo et al.: randomize the weights "
        + "layer by layer, rank-correlate the maps) and measure deletion curves; prints the report, writes "
        + "sanity.png and deletion.png.")
public final class ExplainSanityCommand implements Callable<Integer> {
  @Mixin CommonOptions common;
  @Spec CommandSpec spec;

  @Option(names = "--model", required = true, description = "Registry name of the model.")
  String model;

  @Option(names = "--version", description = "Registry version (default: the latest).")
  Integer version;

  @Option(names = "--data", defaultValue = "fixture:test", description = "Images explained (default ${DEFAULT-VALUE}).")
  String data;

  @Option(names = "--samples", defaultValue = "8", description = "Images explained (default ${DEFAULT-VALUE}).")
  int samples;

  @Option(names = "--methods", defaultValue = "gradient,smoothgrad,ig,gradcam,occlusion,shap",
      description = "Methods checked (default ${DEFAULT-VALUE}).")
  String methods;

  @Option(names = "--out", defaultValue = "sanity", description = "Directory for the PNG charts (default ${DEFAULT-VALUE}).")
  Path outDir;

  @Option(names = "--seed", defaultValue = "17", description = "Randomization seed (default ${DEFAULT-VALUE}).")
  long seed;

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
    if (samples < 1) {
      throw new ParameterException(spec.commandLine(), "--samples must be >= 1, got " + samples);
    }
    ModelRegistry registry = new ModelRegistry(cfg.paths().registryDir());
    int v = version != null ? version : registry.latest(model).orElseThrow(() -> new ParameterException(
        spec.commandLine(), "model '" + model + "' has no version in " + registry.root()));
    ModelVersion mv = registry.load(model, v);
    ImageDataset images = new Datasets(cfg.paths().dataDir()).load(data);
    int n = Math.min(samples, images.size());
    float[] flat = ImageBatches.normalize(images, mv.manifest().input(), 0, n);
    int size = flat.length / n;
    float[][] x = new float[n][];
    for (int i = 0; i < n; i++) {
      x[i] = Arrays.copyOfRange(flat, i * size, (i + 1) * size);
    }
    err.printf("sanity check of %s:%d on %d images of %s (%s)...%n", model, v, n, data, methods);
    try (DjlNetwork twin = DjlNetwork.load(mv)) {
      SanityRun.Result r = SanityRun.run(twin, mv.manifest().input(), MethodSettings.from(cfg.source()), with, x, seed);
      out.println(r.toMarkdown());
      for (Path p : SanityRun.writeCharts(r, outDir)) {
        out.println("chart: " + p);
      }
    }
    return 0;
  }
}
