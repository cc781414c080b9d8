package dev.osprey.model.registry;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.osprey.core.event.DType;
import dev.osprey.model.InputSpec;
import java.io.InputStream;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelImporterTest {
  private static final InputSpec SPEC =
      new InputSpec(DType.UINT8, List.of(1, 4, 4), 255f, new float[] {0.1307f}, new float[] {0.3081f});
  private static final List<String> ABC = List.of("a", "b", "c");
  private static final TinyOnnxClassifier TINY = new TinyOnnxClassifier(-1, new int[] {1, 4, 4}, 3);

  @TempDir Path tmp;
  private final OrtEnvironment env = OrtEnvironment.getEnvironment();

  private ModelImporter importer() {
    return new ModelImporter(new ModelRegistry(tmp.resolve("registry")), env);
  }

  private static float[] rawImage(Random rnd) {
    float[] raw = new float[16];
    for (int i = 0; i < raw.length; i++) {
      raw[i] = rnd.nextInt(256);
    }
    return raw;
  }

  @Test
  void ortRunOfTheTinyGraphGivesTheClosedFormLogits() throws Exception {
    Path onnx = TINY.write(tmp.resolve("tiny.onnx"));
    Random rnd = new Random(11);
    float[] x = new float[2 * 16];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) rnd.nextGaussian();
    }
    try (OrtSession.SessionOptions o = new OrtSession.SessionOptions();
        OrtSession s = env.createSession(onnx.toString(), o);
        OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), new long[] {2, 1, 4, 4});
        OrtSession.Result r = s.run(Map.of("x", t))) {
      float[][] logits = (float[][]) r.get(0).getValue();
      for (int row = 0; row < 2; row++) {
        double[] expected = TINY.logits(java.util.Arrays.copyOfRange(x, row * 16, row * 16 + 16));
        for (int k = 0; k < 3; k++) {
          assertEquals(expected[k], logits[row][k], 1e-5, "row " + row + " class " + k);
        }
      }
    }
  }

  @Test
  void committedGoldenModelStillScoresInClosedForm() throws Exception {
    byte[] golden;
    try (InputStream in = getClass().getResourceAsStream("/registry/tiny-classifier.onnx")) {
      golden = in.readAllBytes();
    }
    assertArrayEquals(TINY.toBytes(), golden, "the committed fixture is the graph TinyOnnxClassifier builds");
    Path onnx = Files.write(tmp.resolve("golden.onnx"), golden);
    OnnxSignature sig = importer().inspect(onnx, SPEC, 3);
    assertEquals(List.of(-1L, 1L, 4L, 4L), sig.inputShape());
    assertEquals(List.of(-1L, 3L), sig.outputShape());
  }

  @Test
  void importPublishesAnInferenceOnlyVersionWithAReferenceProfile() throws Exception {
    Path onnx = TINY.write(tmp.resolve("user/tiny.onnx"));
    Random rnd = new Random(5);
    List<float[]> reference = new ArrayList<>();
    double[] expectedPrior = new double[3];
    for (int i = 0; i < 40; i++) {
      float[] raw = rawImage(rnd);
      reference.add(raw);
      float[] x = new float[16];
      SPEC.normalize(raw, x, 0);
      double[] z = TINY.logits(x);
      int best = z[0] >= z[1] && z[0] >= z[2] ? 0 : z[1] >= z[2] ? 1 : 2;
      expectedPrior[best] += 1.0 / 40;
    }
    ModelVersion v = importer().importOnnx(
        new ModelImporter.ImportRequest(onnx, "user-digits", SPEC, ABC, null, reference));

    ModelManifest m = v.manifest();
    assertEquals(1, m.version());
    assertEquals(Architecture.IMPORTED, m.architecture().name());
    assertTrue(m.architecture().inferenceOnly());
    assertEquals("x", m.architecture().hyperparameters().get("inputName"));
    assertEquals("logits", m.architecture().hyperparameters().get("outputName"));
    assertEquals(List.of(FileRoles.FP32_ONNX), List.copyOf(m.files().keySet()));
    assertArrayEquals(Files.readAllBytes(onnx), Files.readAllBytes(v.file(FileRoles.FP32_ONNX)));
    assertArrayEquals(expectedPrior, m.reference().classPrior(), 1e-9);
    assertEquals(40, m.reference().confidence().total());
    assertEquals(40, m.reference().softmaxSample().size());
    assertEquals(0, m.reference().embeddingSample().size());
    float sum = 0;
    for (float p : m.reference().softmaxSample().get(0)) {
      sum += p;
    }
    assertEquals(1f, sum, 1e-5f);
    // The published version loads (hashes verified) from a fresh registry instance.
    assertEquals(m, new ModelRegistry(tmp.resolve("registry")).load("user-digits", 1).manifest());
  }

  @Test
  void fixedBatchGraphIsAccepted() throws Exception {
    Path onnx = new TinyOnnxClassifier(1, new int[] {1, 4, 4}, 3).write(tmp.resolve("fixed.onnx"));
    Random rnd = new Random(2);
    ModelVersion v = importer().importOnnx(new ModelImporter.ImportRequest(
        onnx, "fixed", SPEC, ABC, null, List.of(rawImage(rnd), rawImage(rnd), rawImage(rnd))));
    List<?> inputShape = (List<?>) v.manifest().architecture().hyperparameters().get("inputShape");
    assertEquals(1, ((Number) inputShape.get(0)).intValue(), "fixed batch dimension recorded");
    assertEquals(3, v.manifest().reference().confidence().total());
  }

  @Test
  void outputWidthThatDoesNotMatchTheLabelsIsRefused() throws Exception {
    Path onnx = TINY.write(tmp.resolve("tiny.onnx"));
    List<String> ten = DraftFixtures.DIGITS;
    ModelLoadException e = assertThrows(ModelLoadException.class, () -> importer().importOnnx(
        new ModelImporter.ImportRequest(onnx, "bad", SPEC, ten, null, List.of())));
    assertEquals("cannot import tiny.onnx: output 'logits' has 3 classes (shape [-1, 3]) but 10 labels were given",
        e.getMessage());
    assertEquals(List.of(), new ModelRegistry(tmp.resolve("registry")).list(), "nothing published");
  }

  @Test
  void inputShapeThatDoesNotMatchTheSpecIsRefused() throws Exception {
    Path onnx = TINY.write(tmp.resolve("tiny.onnx"));
    ModelLoadException e = assertThrows(ModelLoadException.class,
        () -> importer().importOnnx(new ModelImporter.ImportRequest(onnx, "bad", InputSpec.mnist(), ABC, null, List.of())));
    assertEquals("cannot import tiny.onnx: input 'x' has shape [-1, 1, 4, 4] (-1 = dynamic), the input spec needs "
        + "[batch, 1, 28, 28]", e.getMessage());
  }

  @Test
  void aFileThatIsNotOnnxIsRefused() throws Exception {
    Path junk = DraftFixtures.file(tmp, "junk.onnx", 64, 3);
    ModelLoadException e = assertThrows(ModelLoadException.class,
        () -> importer().importOnnx(new ModelImporter.ImportRequest(junk, "bad", SPEC, ABC, null, List.of())));
    assertTrue(e.getMessage().startsWith("ONNX Runtime cannot open " + junk + " as a model"), e.getMessage());
  }
}
