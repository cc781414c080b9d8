package dev.osprey.trainer.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.osprey.core.data.Datasets;
import dev.osprey.core.data.ImageDataset;
import dev.osprey.core.data.InputSummaries;
import dev.osprey.core.data.InputSummaryReference;
import dev.osprey.core.djl.DjlOfflineGuard;
import dev.osprey.model.InputSpec;
import dev.osprey.model.Softmax;
import dev.osprey.model.arch.Architectures;
import dev.osprey.model.net.NetworkSpec;
import dev.osprey.model.plan.HostProfile;
import dev.osprey.model.plan.PlanChoice;
import dev.osprey.model.plan.PlanSelection;
import dev.osprey.model.plan.PrecisionPlanner;
import dev.osprey.model.publish.PublishedNetwork;
import dev.osprey.model.quant.CalibrationMethod;
import dev.osprey.model.quant.QuantizationConfig;
import dev.osprey.model.registry.CalibrationMap;
import dev.osprey.model.registry.FileRoles;
import dev.osprey.model.registry.Lineage;
import dev.osprey.model.registry.ModelManifest;
import dev.osprey.model.registry.ModelRegistry;
import dev.osprey.model.registry.ModelVersion;
import dev.osprey.model.registry.PrecisionPlans;
import dev.osprey.model.registry.Verification;
import dev.osprey.model.runtime.DjlNetwork;
import dev.osprey.model.runtime.FixtureTrainer;
import dev.osprey.model.runtime.OnnxPredictor;
import dev.osprey.model.runtime.OrtConfig;
import dev.osprey.trainer.Evaluator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelPackagerTest {
  static final NetworkSpec SPEC = Architectures.cnnStudent(10);
  /** One short round per plan: the figures are rough, the files and the section are what is tested. */
  static final PrecisionPlanner.Options QUICK_PLANNING = new PrecisionPlanner.Options(64, 1, 1, 0.05, 1.03,
      PlanChoice.MAX_ACCURACY_DROP, PlanChoice.MIN_AGREEMENT);
  static final List<String> DIGITS = List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9");

  @TempDir static Path root;
  static ModelRegistry registry;
  static ModelPackager.Published published;
  static List<String> steps = new ArrayList<>();

  static DjlNetwork network;
  static ImageDataset test;

  @BeforeAll
  static void publishOnce() throws Exception {
    DjlOfflineGuard.install();
    registry = new ModelRegistry(root);
    ImageDataset train = new Datasets(root).load("fixture:train");
    test = new Datasets(root).load("fixture:test");
    network = DjlNetwork.of(SPEC, FixtureTrainer.train(SPEC, train, InputSpec.mnist(), 200, 32, 0.05f, 7, s -> {}));
    published = new ModelPackager(registry, QUICK_PLANNING).publish(new ModelPackager.Request(
        "digits", network, InputSpec.mnist(), DIGITS, train, 500, QuantizationConfig.of(CalibrationMethod.ENTROPY), test,
        Map.of("steps", 200, "learningRate", 0.05), new Lineage(Map.of("fixture:train", 10_000L), "fixture", 7, List.of(), 1),
        null, Map.of("ece", 0.01)), steps::add);
  }

  @AfterAll
  static void close() {
    network.close();
  }

  @Test
  void publishesAVersionWithAllArtifactsAndMeasuredMetrics() throws Exception {
    ModelVersion v = registry.load("digits", 1);
    ModelManifest m = v.manifest();
    assertEquals(published.version().manifest(), m, "the manifest read back equals the one published");
    for (String role : List.of(FileRoles.FP32_ONNX, FileRoles.INT8_ONNX, FileRoles.PARAMS)) {
      assertTrue(Files.isRegularFile(v.file(role)), role);
    }
    // the fixture-trained net is a real classifier, and int8 stays close to fp32
    assertTrue(published.accuracyFp32() > 0.9, "fp32 accuracy " + published.accuracyFp32());
    assertTrue(published.accuracyFp32() - published.accuracyInt8() <= 0.01,
        published.accuracyFp32() + " vs int8 " + published.accuracyInt8());
    assertTrue(published.agreement() >= 0.98, "agreement " + published.agreement());
    assertTrue(published.int8Bytes() * 2 < published.fp32Bytes(), published.int8Bytes() + " vs " + published.fp32Bytes());
    assertEquals(published.accuracyInt8(), m.metrics().get(ModelPackager.ACCURACY), 0);
    assertEquals(published.accuracyFp32(), m.metrics().get(ModelPackager.ACCURACY_FP32), 0);
    assertEquals(published.agreement(), m.metrics().get(ModelPackager.AGREEMENT), 0);
    assertEquals(0.01, m.metrics().get("ece"), 0);
    assertEquals(1000.0, m.metrics().get("reference_samples"), 0);
    assertTrue(m.calibration().startsWith("entropy on 500 of fixture:train"), m.calibration());
    assertEquals("fixture", m.lineage().recipe());
    // the same measurement, in full, for a promotion gate: the evaluator's report of the int8 model
    assertEquals(1000, published.int8().count());
    assertEquals(Math.round((1 - published.accuracyInt8()) * 1000), published.int8().errors());
    assertTrue(published.int8().ece() >= 0 && published.int8().ece() < 0.1, "int8 ECE " + published.int8().ece());
    assertEquals(PublishedNetwork.spec(v), SPEC);
    assertEquals(List.of("export fp32 ONNX", "quantize int8 (entropy, 500 samples) and plan 64-sample batches on this host",
        "plan: quantizing the full int8 plan", "plan: quantizing the Gemm/MatMul-only plan"), steps.subList(0, 4));
    assertEquals(List.of("measure on fixture:test (1000 samples)", "publish digits"), steps.subList(steps.size() - 2, steps.size()));
    assertTrue(steps.stream().anyMatch(s -> s.startsWith("plan: layer ")), "the per-layer search reports each layer: " + steps);
  }

  @Test
  void everyPlanIsStoredVerifiedAndTheRecordedChoiceIsWithinTheBound() throws Exception {
    ModelVersion v = registry.load("digits", 1);
    PrecisionPlans plans = v.manifest().plans();
    assertTrue(plans.candidates().keySet().containsAll(List.of("fp32", "int8", "int8-matmul")), plans.candidates().keySet().toString());
    Verification verification = registry.verify("digits", 1);
    assertTrue(verification.ok(), verification.problems().toString());
    assertEquals(v.manifest().files().size(), verification.filesChecked());
    for (Map.Entry<String, PrecisionPlans.Candidate> c : plans.candidates().entrySet()) {
      Path file = v.file(c.getValue().file());
      assertEquals(c.getKey() + ".onnx", c.getValue().file());
      assertEquals(ModelRegistry.sha256(file), c.getValue().sha256(), c.getKey());
      try (OnnxPredictor p = OnnxPredictor.openCpu(file, OrtConfig.cpu(1).withDisabledOptimizers(Set.copyOf(c.getValue().disabledOptimizers())))) {
        assertEquals(10, p.predict(new float[784], 1).classes(), c.getKey() + " opens and predicts");
      }
    }
    // fp32 and the full QDQ int8 plan are the files the fp32.onnx/int8.onnx roles always named
    assertEquals(v.manifest().file(FileRoles.FP32_ONNX).sha256(), plans.candidate("fp32").sha256());
    assertEquals(v.manifest().file(FileRoles.INT8_ONNX).sha256(), plans.candidate("int8").sha256());
    assertEquals(List.of(), plans.candidate("int8").disabledOptimizers());
    assertEquals(List.of("Gemm", "MatMul"), plans.candidate("int8-matmul").opTypes());
    assertEquals(published.accuracyInt8(), plans.candidate("int8").accuracy(), 1e-9, "planner and evaluator agree on int8");
    assertEquals(published.accuracyFp32(), plans.candidate("fp32").accuracy(), 1e-9);
    assertEquals(1.0, plans.candidate("fp32").agreement());

    HostProfile host = HostProfile.current();
    assertEquals(List.of(host.key()), List.copyOf(plans.hosts().keySet()));
    PrecisionPlans.HostFigures here = plans.hosts().get(host.key());
    assertEquals(plans.candidates().keySet(), here.samplesPerSecond().keySet());
    assertEquals(64, here.batchSize());
    PrecisionPlans.Candidate chosen = plans.candidate(here.chosen());
    assertTrue(plans.candidate("fp32").accuracy() - chosen.accuracy() <= PlanChoice.MAX_ACCURACY_DROP + 1e-12, here.reason());
    assertTrue(chosen.agreement() >= PlanChoice.MIN_AGREEMENT || here.chosen().equals("fp32"), here.reason());
    for (Map.Entry<String, PrecisionPlans.Rate> r : here.samplesPerSecond().entrySet()) {
      PrecisionPlans.Candidate c = plans.candidate(r.getKey());
      if (plans.candidate("fp32").accuracy() - c.accuracy() <= PlanChoice.MAX_ACCURACY_DROP && c.agreement() >= PlanChoice.MIN_AGREEMENT) {
        assertTrue(here.samplesPerSecond().get(here.chosen()).median() >= r.getValue().median(),
            "auto is the fastest plan within the bound: " + here.reason());
      }
    }
    // the loader's selection opens the recorded choice here
    PlanSelection.Open open = (PlanSelection.Open) PlanSelection.select(v.manifest(), host, "auto");
    assertEquals(here.chosen(), open.plan());
    assertEquals(published.hostFigures(), here);
  }

  @Test
  void referenceProfileDescribesTheInt8ModelOnTheReferenceData() throws Exception {
    var ref = registry.load("digits", 1).manifest().reference();
    assertEquals(10, ref.classPrior().length);
    double sum = 0;
    for (double p : ref.classPrior()) {
      sum += p;
      assertTrue(p > 0.03 && p < 0.2, "a digit's predicted share on balanced MNIST: " + p);
    }
    assertEquals(1, sum, 1e-9);
    assertEquals(256, ref.softmaxSample().size());
    assertEquals(256, ref.embeddingSample().size());
    assertEquals(SPEC.embeddingSize(), ref.embeddingSample().get(0).length);
  }

  @Test
  void storesTheInputSummaryReferenceAndTheCbpeCalibrationMap() throws Exception {
    ModelVersion v = registry.load("digits", 1);
    ObjectMapper json = new ObjectMapper();
    // the input-summary reference: every one of the 1,000 reference images (fewer than 2,000), as core computes it
    InputSummaryReference inputs = json.readValue(v.file(FileRoles.INPUT_SUMMARIES).toFile(), InputSummaryReference.class);
    assertEquals(InputSummaries.FEATURES, inputs.features());
    assertEquals(1000, inputs.sample().size());
    assertEquals(InputSummaryReference.of(test, ModelPackager.INPUT_SUMMARY_SAMPLE), inputs);
    // the CBPE map: monotone, and on the reference data its mean is the int8 accuracy (the isotonic
    // fit keeps each block's mean; interpolating between block means moves it only a little)
    CalibrationMap cbpe = json.readValue(v.file(FileRoles.CBPE_CALIBRATION).toFile(), CalibrationMap.class);
    assertTrue(cbpe.knots().length >= 2, "knots " + cbpe.knots().length);
    Evaluator.Outputs outputs;
    try (OnnxPredictor p = OnnxPredictor.openCpu(v.file(FileRoles.INT8_ONNX), OrtConfig.cpu(1))) {
      outputs = new Evaluator(InputSpec.mnist(), 250).run(p, test, false);
    }
    assertEquals(ModelPackager.cbpeCalibration(outputs, test), cbpe, "the stored map is the fit on the int8 model's outputs");
    double mean = 0;
    for (double c : outputs.confidence()) {
      mean += cbpe.apply((float) c);
    }
    assertEquals(published.accuracyInt8(), mean / test.size(), 0.01);
    assertTrue(cbpe.apply(0.99) >= cbpe.apply(0.6), "monotone");
    assertTrue(registry.verify("digits", 1).ok(), "the new files are hashed and verified like the rest");
  }

  @Test
  void requestRejectsLabelsThatDoNotMatchTheHead() {
    var e = assertThrows(IllegalArgumentException.class, () -> new ModelPackager.Request(
        "digits", network, InputSpec.mnist(), List.of("a", "b"),
        test, 10, QuantizationConfig.of(CalibrationMethod.MINMAX), test,
        Map.of(), new Lineage(Map.of(), "x", 1, List.of(), 0), null, Map.of()));
    assertTrue(e.getMessage().contains("10 classes"), e.getMessage());
    assertArrayEquals(new float[] {0.5f, 0.5f}, Softmax.of(new float[] {1000f, 1000f}));
    assertEquals(0, Softmax.argmax(new float[] {1000f, 1000f}), "ties go to the first class");
  }
}
