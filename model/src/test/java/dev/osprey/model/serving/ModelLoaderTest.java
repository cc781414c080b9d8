package dev.osprey.model.serving;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.osprey.core.data.ImageDataset;
import dev.osprey.core.event.ModelActivation;
import dev.osprey.model.InputSpec;
import dev.osprey.model.arch.Architectures;
import dev.osprey.model.onnx.OnnxExporter;
import dev.osprey.model.publish.PublishedNetwork;
import dev.osprey.model.registry.ModelDraft;
import dev.osprey.model.runtime.DjlNetwork;
import dev.osprey.model.registry.Lineage;
import dev.osprey.model.runtime.FixtureTrainer;
import dev.osprey.model.runtime.ImageBatches;
import dev.osprey.model.runtime.OnnxPredictor;
import dev.osprey.model.runtime.OrtConfig;
import dev.osprey.model.runtime.Predictions;
import java.util.Map;
import ai.onnx.proto.OnnxMl.ModelProto;
import dev.osprey.model.plan.HostProfile;
import dev.osprey.model.plan.PlanSelection;
import dev.osprey.model.quant.CalibrationMethod;
import dev.osprey.model.quant.QdqQuantizer;
import dev.osprey.model.quant.QuantizationConfig;
import dev.osprey.model.registry.PrecisionPlans;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Set;
import java.util.TreeMap;
import dev.osprey.model.registry.FileRoles;
import dev.osprey.model.registry.ModelLoadException;
import dev.osprey.model.registry.ModelRegistry;
import dev.osprey.model.registry.ModelVersion;
import dev.osprey.model.runtime.RuntimeKind;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelLoaderTest {
  @TempDir Path tmp;
  private ModelRegistry registry;
  private final ServingOptions config = ServingOptions.cpuInt8(64, "target/tensorrt-cache");

  @BeforeEach
  void publish() throws Exception {
    registry = new ModelRegistry(tmp.resolve("registry"));
    TestModels.publish(registry, 0);
    TestModels.publish(registry, 1);
  }

  private static ModelActivation activation(int version) {
    return ModelActivation.of(TestModels.NAME, version, 1L, "test", "test");
  }

  @Test
  void loadsInt8OnCpuAndWarmsUp() throws Exception {
    LoadedModel m = new ModelLoader(config, registry, Clock.systemUTC()).load(activation(1), null);
    try {
      assertEquals("digits:1", m.ref().toString());
      assertEquals(RuntimeKind.ONNX_CPU, m.runtime());
      assertEquals("int8", m.precision());
      assertFalse(m.fellBack());
    } finally {
      m.release();
    }
    assertTrue(m.isClosed());
  }

  @Test
  void pytorchRuntimeServesThePackagedNetworkLikeItsFp32Graph() throws Exception {
    // a version with the network stored as the trainer's pipeline stores it (spec + DJL params beside the ONNX graph)
    ModelVersion packaged;
    ImageDataset test = TestModels.test();
    try (DjlNetwork net = DjlNetwork.of(Architectures.cnnStudent(10), FixtureTrainer.train(Architectures.cnnStudent(10),
        TestModels.train(), InputSpec.mnist(), 100, 32, 0.05f, 3, s -> {}))) {
      Path work = Files.createDirectories(tmp.resolve("packaged"));
      Path fp32 = Files.write(work.resolve("model.fp32.onnx"), new OnnxExporter().export(net.spec(), net.block()).toByteArray());
      ModelDraft.Builder draft = ModelDraft.builder().setName(TestModels.NAME).setInput(InputSpec.mnist()).setLabels(TestModels.DIGITS)
          .setFile(FileRoles.FP32_ONNX, fp32).optLineage(new Lineage(Map.of(), "fixture", 3, List.of(), 0));
      packaged = registry.publish(PublishedNetwork.addTo(draft, net, Map.of(), work).build());
    }
    int version = packaged.manifest().version();
    LoadedModel torch = new ModelLoader(config.withRuntime(RuntimeKind.PYTORCH), registry, Clock.systemUTC())
        .load(activation(version), null);
    try (OnnxPredictor fp32 = OnnxPredictor.openCpu(packaged.file(FileRoles.FP32_ONNX), OrtConfig.cpu(1))) {
      assertEquals(RuntimeKind.PYTORCH, torch.runtime());
      assertEquals("fp32", torch.precision());
      float[] x = ImageBatches.normalize(test, InputSpec.mnist(), 0, 200);
      Predictions a = torch.predictor().predict(x, 200);
      Predictions b = fp32.predict(x, 200);
      for (int i = 0; i < 200; i++) {
        assertEquals(b.argmax(i), a.argmax(i), "sample " + i);
      }
    } finally {
      torch.release();
    }
    assertTrue(torch.isClosed());
    // an inference-only version (no network, e.g. imported ONNX) cannot run on PyTorch
    ModelLoadException e = assertThrows(ModelLoadException.class,
        () -> new ModelLoader(config.withRuntime(RuntimeKind.PYTORCH), registry, Clock.systemUTC()).load(activation(1), null));
    assertTrue(e.getMessage().contains("no DJL network"), e.getMessage());
  }

  @Test
  void autoFallsBackToCpuWithALabel() throws Exception {
    ModelLoader loader = new ModelLoader(config.withRuntime(RuntimeKind.AUTO), registry, Clock.systemUTC());
    LoadedModel first = loader.load(activation(1), null);
    LoadedModel second = loader.load(activation(2), first);
    assertEquals(RuntimeKind.ONNX_CPU, second.runtime());
    assertEquals(RuntimeKind.AUTO, second.requestedRuntime());
    assertTrue(first.fellBack());
    assertTrue(second.fellBack());
    first.release();
    second.release();
  }

  /** No GPU and a CPU-only ONNX Runtime here: asking for TensorRT alone fails with the runtime's reason. */
  @Test
  void tensorRtOnlyFailsCleanlyWithoutAGpu() {
    ModelLoader loader = new ModelLoader(config.withRuntime(RuntimeKind.ONNX_TENSORRT), registry, Clock.systemUTC());
    ModelLoadException e = assertThrows(ModelLoadException.class, () -> loader.load(activation(1), null));
    assertTrue(e.getMessage().startsWith("runtime onnx-tensorrt cannot open digits:1: TensorRT could not load the model"),
        e.getMessage());
  }

  @Test
  void corruptOrMissingVersionsAndReplacedManifestsAreRefused() throws Exception {
    ModelLoader loader = new ModelLoader(config, registry, Clock.systemUTC());
    ModelLoadException missing = assertThrows(ModelLoadException.class, () -> loader.load(activation(9), null));
    assertTrue(missing.getMessage().startsWith("no model digits:9 in registry"), missing.getMessage());

    ModelLoadException hash = assertThrows(ModelLoadException.class,
        () -> loader.load(activation(1).withManifestSha256("00".repeat(32)), null));
    assertTrue(hash.getMessage().contains("but the activation names 0000"), hash.getMessage());

    ModelVersion v2 = registry.load(TestModels.NAME, 2);
    byte[] bytes = Files.readAllBytes(v2.file(FileRoles.INT8_ONNX));
    bytes[bytes.length / 2] ^= 0x5a;
    Files.write(v2.file(FileRoles.INT8_ONNX), bytes);
    ModelLoadException corrupt = assertThrows(ModelLoadException.class, () -> loader.load(activation(2), null));
    assertTrue(corrupt.getMessage().contains("is corrupt or incomplete: file model.int8.onnx (role int8.onnx) has sha256"),
        corrupt.getMessage());
  }

  @Test
  void aVersionWithOtherLabelsDoesNotFitTheServingModel() throws Exception {
    TestModels.publish(registry, 2, List.of("a", "b", "c", "d", "e", "f", "g", "h", "i", "j"));
    ModelLoader loader = new ModelLoader(config, registry, Clock.systemUTC());
    LoadedModel serving = loader.load(activation(1), null);
    ModelLoader.IncompatibleModelException e = assertThrows(ModelLoader.IncompatibleModelException.class,
        () -> loader.load(activation(3), serving));
    assertTrue(e.getMessage().startsWith("digits:3 has labels [a, b"), e.getMessage());
    assertFalse(serving.isClosed());
    serving.release();
  }

  // ---- precision plans ----------------------------------------------------------------------

  private static final Set<String> NO_QDQ_PROPAGATION = Set.of("QDQPropagationTransformer");

  /** Logits of {@code file} opened directly with {@code disabledOptimizers}, on the first 200 test images. */
  private static float[] directLogits(Path file, Set<String> disabledOptimizers) throws Exception {
    try (OnnxPredictor p = OnnxPredictor.openCpu(file, OrtConfig.cpu(1).withDisabledOptimizers(disabledOptimizers))) {
      return p.predict(ImageBatches.normalize(TestModels.test(), InputSpec.mnist(), 0, 200), 200).logits();
    }
  }

  private static float[] servedLogits(LoadedModel m) throws Exception {
    return m.predictor().predict(ImageBatches.normalize(TestModels.test(), InputSpec.mnist(), 0, 200), 200).logits();
  }

  private static int[] argmax(byte[] onnx, Set<String> disabledOptimizers) throws Exception {
    ImageDataset test = TestModels.test();
    try (OnnxPredictor p = OnnxPredictor.openCpu(onnx, OrtConfig.cpu(1).withDisabledOptimizers(disabledOptimizers))) {
      Predictions r = p.predict(ImageBatches.normalize(test, InputSpec.mnist(), 0, test.size()), test.size());
      int[] out = new int[test.size()];
      for (int i = 0; i < out.length; i++) {
        out[i] = r.argmax(i);
      }
      return out;
    }
  }

  /**
   * Publishes variant 0 as the packager would with three plans (fp32, full QDQ int8, Gemm-only int8),
   * their accuracy and agreement measured on fixture:test, and the given per-host figures.
   */
  private ModelVersion publishWithPlans(Map<String, PrecisionPlans.HostFigures> hosts) throws Exception {
    TestModels.Variant v = TestModels.variants().get(0);
    float[] calibration = ImageBatches.normalize(TestModels.train(), InputSpec.mnist(), 0, 500);
    byte[] matmul = new QdqQuantizer(QuantizationConfig.of(CalibrationMethod.MINMAX).withOpTypes(Set.of("Gemm", "MatMul")))
        .quantize(ModelProto.parseFrom(v.fp32()), calibration, 500, n -> {}).model().toByteArray();
    Map<String, byte[]> graphs = Map.of("fp32", v.fp32(), "int8", v.int8(), "int8-matmul", matmul);
    Map<String, Set<String>> disabled = Map.of("fp32", Set.of(), "int8", Set.of(), "int8-matmul", NO_QDQ_PROPAGATION);
    Path dir = Files.createDirectories(tmp.resolve("plans"));
    ModelDraft.Builder draft = ModelDraft.builder().setName(TestModels.NAME).setArchitecture(Architectures.CNN_STUDENT, Map.of())
        .setInput(InputSpec.mnist()).setLabels(TestModels.DIGITS).optCalibration("minmax");
    int[] fp32 = argmax(v.fp32(), Set.of());
    Map<String, PrecisionPlans.Candidate> candidates = new TreeMap<>();
    for (Map.Entry<String, byte[]> g : graphs.entrySet()) {
      Path file = Files.write(dir.resolve(g.getKey() + ".onnx"), g.getValue());
      draft.setFile(g.getKey() + ".onnx", file);
      int[] pred = argmax(g.getValue(), disabled.get(g.getKey()));
      int correct = 0;
      int agree = 0;
      for (int i = 0; i < pred.length; i++) {
        correct += pred[i] == TestModels.test().label(i) ? 1 : 0;
        agree += pred[i] == fp32[i] ? 1 : 0;
      }
      candidates.put(g.getKey(), new PrecisionPlans.Candidate(g.getKey() + ".onnx", ModelRegistry.sha256(file), g.getKey(),
          g.getKey().equals("fp32") ? List.of() : g.getKey().equals("int8") ? List.of("Conv", "Gemm", "MatMul") : List.of("Gemm", "MatMul"),
          List.of(), List.copyOf(disabled.get(g.getKey())), (double) correct / pred.length, (double) agree / pred.length));
    }
    return registry.publish(draft.optPlans(new PrecisionPlans(candidates, hosts)).build());
  }

  private static PrecisionPlans.HostFigures figures(HostProfile host, String chosen, double fp32, double int8, double matmul) {
    return new PrecisionPlans.HostFigures(host.cpuModel(), List.copyOf(host.flags()), host.cores(), 64, 1, 3,
        Map.of("fp32", new PrecisionPlans.Rate(fp32, fp32 * 0.9), "int8", new PrecisionPlans.Rate(int8, int8 * 0.9),
            "int8-matmul", new PrecisionPlans.Rate(matmul, matmul * 0.9)), chosen, chosen + ": recorded by the packager");
  }

  @Test
  void autoOpensThePlanRecordedForThisHostWithItsSessionOptions() throws Exception {
    HostProfile here = HostProfile.current();
    HostProfile elsewhere = new HostProfile("a CPU never seen", Set.of("asimd"), 64);
    // the record for this host says int8-matmul (another host's record says int8): the loader follows this host's
    ModelVersion v = publishWithPlans(Map.of(here.key(), figures(here, "int8-matmul", 10_000, 8_000, 21_000),
        elsewhere.key(), figures(elsewhere, "int8", 10_000, 30_000, 20_000)));
    int version = v.manifest().version();
    LoadedModel m = new ModelLoader(ServingOptions.cpuAuto(64, "target/tensorrt-cache"), registry, Clock.systemUTC())
        .load(activation(version), null);
    try {
      assertEquals("int8-matmul", m.precision());
      assertEquals(new ServedPlan("auto", "int8-matmul", "int8-matmul.onnx", NO_QDQ_PROPAGATION,
          "precision=auto on " + here.key() + ": int8-matmul: recorded by the packager", null), m.plan());
      assertArrayEquals(directLogits(v.file("int8-matmul.onnx"), NO_QDQ_PROPAGATION), servedLogits(m), 0f,
          "the served graph is int8-matmul.onnx");
      assertFalse(Arrays.equals(directLogits(v.file(FileRoles.FP32_ONNX), Set.of()), servedLogits(m)), "not the fp32 graph");
      assertFalse(Arrays.equals(directLogits(v.file(FileRoles.INT8_ONNX), Set.of()), servedLogits(m)), "not the full int8 graph");
    } finally {
      m.release();
    }
    // the metrics label says which plan serves
    io.micrometer.core.instrument.simple.SimpleMeterRegistry meters = new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
    new ServingMetrics(meters, "osprey.test").serving(m);
    assertEquals(1.0, meters.get("osprey.test.model.info").tag("plan", "int8-matmul").tag("requested_precision", "auto")
        .tag("model_version", Integer.toString(version)).gauge().value());
  }

  @Test
  void autoOnAHostWithoutFiguresMeasuresThePlansHereAndPicksTheFastestWithinTheBound() throws Exception {
    HostProfile recorded = new HostProfile("a CPU never seen", Set.of("asimd"), 64);
    ModelVersion v = publishWithPlans(Map.of(recorded.key(), figures(recorded, "int8", 10_000, 30_000, 20_000)));
    int version = v.manifest().version();
    HostProfile unknown = new HostProfile("another CPU", Set.of("avx2"), 2);
    ModelLoader loader = new ModelLoader(ServingOptions.cpuAuto(64, "target/tensorrt-cache"), registry, Clock.systemUTC(), unknown);
    long start = System.nanoTime();
    LoadedModel m = loader.load(activation(version), null);
    double seconds = (System.nanoTime() - start) / 1e9;
    PrecisionPlans.HostFigures measured = m.plan().measuredHere();
    try {
      assertTrue(measured != null, "the plans were measured at load");
      assertEquals(Set.of("fp32", "int8", "int8-matmul"), measured.samplesPerSecond().keySet());
      assertEquals(64, measured.batchSize());
      assertEquals(ModelLoader.MEASURE_ROUNDS, measured.rounds());
      assertEquals(1, measured.threads());
      measured.samplesPerSecond().values().forEach(r -> assertTrue(r.median() >= r.min() && r.min() > 0, r.toString()));
      // the packager's rule on the measured rates and the recorded accuracy and agreement
      PrecisionPlans plans = v.manifest().plans();
      double fp32Accuracy = plans.candidate("fp32").accuracy();
      String expected = measured.samplesPerSecond().entrySet().stream()
          .filter(e -> e.getKey().equals("fp32") || (fp32Accuracy - plans.candidate(e.getKey()).accuracy() <= 0.003 + 1e-12
              && plans.candidate(e.getKey()).agreement() >= 0.995))
          .max(Map.Entry.comparingByValue(Comparator.comparingDouble(PrecisionPlans.Rate::median))).orElseThrow().getKey();
      System.out.println("measured here: " + measured.samplesPerSecond() + " -> " + m.plan().reason() + " (load " + seconds + " s)");
      assertEquals(expected, m.precision());
      assertEquals(expected, measured.chosen());
      assertEquals(expected + ".onnx", m.plan().fileRole());
      assertEquals(Set.copyOf(plans.candidate(expected).disabledOptimizers()), m.plan().disabledOptimizers());
      assertTrue(m.plan().reason().startsWith("precision=auto, measured here: " + expected + ": "), m.plan().reason());
      assertArrayEquals(directLogits(v.file(expected + ".onnx"), m.plan().disabledOptimizers()), servedLogits(m), 0f);
      assertTrue(seconds < 30, "measuring is bounded: " + seconds + " s");
      // the version is immutable: nothing was written back
      assertEquals(Set.of(recorded.key()), registry.load(TestModels.NAME, version).manifest().plans().hosts().keySet());
    } finally {
      m.release();
    }
    // a second load of the same version (e.g. a rollback) reuses what was measured
    LoadedModel again = loader.load(activation(version), null);
    assertSame(measured, again.plan().measuredHere());
    again.release();
  }

  @Test
  void anExplicitPrecisionWinsOverTheRecordedChoice() throws Exception {
    HostProfile here = HostProfile.current();
    ModelVersion v = publishWithPlans(Map.of(here.key(), figures(here, "int8-matmul", 10_000, 8_000, 21_000)));
    int version = v.manifest().version();
    LoadedModel fp32 = new ModelLoader(ServingOptions.cpuAuto(64, "x").withPrecision("fp32"), registry, Clock.systemUTC())
        .load(activation(version), null);
    LoadedModel int8 = new ModelLoader(ServingOptions.cpuInt8(64, "x"), registry, Clock.systemUTC()).load(activation(version), null);
    // a plan the version does not store: its fp32 graph, as int8 on a version without an int8 graph always did
    LoadedModel mixed = new ModelLoader(ServingOptions.cpuAuto(64, "x").withPrecision("int8-mixed"), registry, Clock.systemUTC())
        .load(activation(version), null);
    try {
      assertEquals(new ServedPlan("fp32", "fp32", FileRoles.FP32_ONNX, Set.of(), "precision=fp32 requested", null), fp32.plan());
      assertArrayEquals(directLogits(v.file(FileRoles.FP32_ONNX), Set.of()), servedLogits(fp32), 0f);
      assertEquals(new ServedPlan("int8", "int8", FileRoles.INT8_ONNX, Set.of(), "precision=int8 requested", null), int8.plan());
      assertArrayEquals(directLogits(v.file(FileRoles.INT8_ONNX), Set.of()), servedLogits(int8), 0f);
      assertEquals("fp32", mixed.precision());
      assertEquals(FileRoles.FP32_ONNX, mixed.plan().fileRole());
      assertTrue(mixed.plan().reason().contains("no plan 'int8-mixed' (stored: [fp32, int8, int8-matmul])"), mixed.plan().reason());
    } finally {
      fp32.release();
      int8.release();
      mixed.release();
    }
  }

  @Test
  void aVersionWithoutPlansServesAsBefore() throws Exception {
    // TestModels versions have no plans section: auto serves int8.onnx, fp32 serves fp32.onnx
    ModelVersion v = registry.load(TestModels.NAME, 1);
    assertEquals(null, v.manifest().plans());
    LoadedModel auto = new ModelLoader(ServingOptions.cpuAuto(64, "x"), registry, Clock.systemUTC()).load(activation(1), null);
    LoadedModel fp32 = new ModelLoader(ServingOptions.cpuAuto(64, "x").withPrecision("fp32"), registry, Clock.systemUTC())
        .load(activation(1), null);
    try {
      assertEquals(new ServedPlan("auto", "int8", FileRoles.INT8_ONNX, Set.of(),
          "precision=auto: digits:1 stores no plans, serving int8.onnx", null), auto.plan());
      assertArrayEquals(directLogits(v.file(FileRoles.INT8_ONNX), Set.of()), servedLogits(auto), 0f);
      assertEquals("fp32", fp32.precision());
      assertArrayEquals(directLogits(v.file(FileRoles.FP32_ONNX), Set.of()), servedLogits(fp32), 0f);
    } finally {
      auto.release();
      fp32.release();
    }
  }

  /** Runtime auto tries TensorRT with the full QDQ graph; without a GPU it serves this host's CPU plan. */
  @Test
  void runtimeAutoFallsBackToTheCpuPlanOfThisHost() throws Exception {
    HostProfile here = HostProfile.current();
    ModelVersion v = publishWithPlans(Map.of(here.key(), figures(here, "int8-matmul", 10_000, 8_000, 21_000)));
    assertEquals("int8", PlanSelection.forTensorRt(v.manifest(), "auto").plan(), "what a GPU host gets");
    LoadedModel m = new ModelLoader(ServingOptions.cpuAuto(64, "target/tensorrt-cache").withRuntime(RuntimeKind.AUTO), registry,
        Clock.systemUTC()).load(activation(v.manifest().version()), null);
    try {
      assertTrue(m.fellBack());
      assertEquals("int8-matmul", m.precision());
    } finally {
      m.release();
    }
  }
}
