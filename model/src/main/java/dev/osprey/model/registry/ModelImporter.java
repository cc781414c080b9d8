package dev.osprey.model.registry;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.osprey.model.InputSpec;
import dev.osprey.model.Softmax;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Registers a user's own ONNX classifier. Before anything is published, the graph is opened with
 * ONNX Runtime and checked: one float input shaped [batch, spec shape...] (batch dynamic or fixed),
 * an output [batch, classes] with one class per label, and a trial run that yields finite scores of
 * that shape. The version is inference-only (architecture {@value Architecture#IMPORTED}, role
 * {@value FileRoles#FP32_ONNX}).
 *
 * <p>Uses raw ONNX Runtime. If DJL's ONNX Runtime engine is also used in the same JVM, initialise
 * it first (see DESIGN.md).
 */
public final class ModelImporter {
  private static final int BATCH = 256;
  private static final double PROBABILITY_TOLERANCE = 1e-3;

  private final ModelRegistry registry;
  private final OrtEnvironment env;

  /**
   * @param registry where imported models are published
   * @param env the ONNX Runtime environment (a process-wide object owned by ONNX Runtime)
   */
  public ModelImporter(ModelRegistry registry, OrtEnvironment env) {
    if (registry == null || env == null) {
      throw new IllegalArgumentException("registry and env must not be null");
    }
    this.registry = registry;
    this.env = env;
  }

  /**
   * What to import.
   *
   * @param onnx the model file
   * @param name registry name
   * @param input the input the model expects (raw dtype, shape without batch, normalization)
   * @param labels class names in output order
   * @param parentVersion an earlier version of the same name this replaces, or null
   * @param referenceInputs raw (unnormalized) reference samples for the drift profile; may be empty
   */
  public record ImportRequest(
      Path onnx, String name, InputSpec input, List<String> labels, Integer parentVersion, List<float[]> referenceInputs) {
    public ImportRequest {
      if (onnx == null) {
        throw new IllegalArgumentException("onnx file must be set");
      }
      ModelNames.requireModelName("name", name);
      ModelManifest.checkInput(input);
      labels = ModelManifest.checkLabels(labels);
      referenceInputs = referenceInputs == null ? List.of() : List.copyOf(referenceInputs);
      for (int i = 0; i < referenceInputs.size(); i++) {
        if (referenceInputs.get(i).length != input.size()) {
          throw new IllegalArgumentException("referenceInputs row " + i + " has " + referenceInputs.get(i).length
              + " values, the input spec needs " + input.size());
        }
      }
    }
  }

  /**
   * Checks the model and publishes it.
   *
   * @throws ModelLoadException if ONNX Runtime cannot open the file or it does not fit the spec and labels
   * @throws IOException if publishing fails
   */
  public ModelVersion importOnnx(ImportRequest request) throws ModelLoadException, IOException {
    OnnxSignature signature;
    ReferenceProfile reference = null;
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        OrtSession session = open(request.onnx(), options)) {
      signature = check(session, request.onnx(), request.input(), request.labels().size());
      if (!request.referenceInputs().isEmpty()) {
        List<float[]> probabilities = probabilities(session, signature, request.input(), request.referenceInputs());
        reference = ReferenceProfile.fromSoftmax(probabilities, List.of(), 20, 200, 0L);
      }
    } catch (OrtException e) {
      throw new ModelLoadException("ONNX Runtime failed on " + request.onnx() + ": " + e.getMessage(), e);
    }
    Map<String, Object> hyper = new LinkedHashMap<>();
    hyper.put("inputName", signature.inputName());
    // Integers, as JSON gives them back, so a loaded manifest equals the published one.
    hyper.put("inputShape", signature.inputShape().stream().map(Long::intValue).toList());
    hyper.put("outputName", signature.outputName());
    hyper.put("outputShape", signature.outputShape().stream().map(Long::intValue).toList());
    ModelDraft.Builder draft = ModelDraft.builder()
        .setName(request.name())
        .setArchitecture(Architecture.IMPORTED, hyper)
        .setInput(request.input())
        .setLabels(request.labels())
        .setFile(FileRoles.FP32_ONNX, request.onnx())
        .optReference(reference);
    if (request.parentVersion() != null) {
      draft.optParentVersion(request.parentVersion());
    }
    return registry.publish(draft.build());
  }

  /**
   * Opens a model and checks it against a spec and class count without publishing anything.
   *
   * @throws ModelLoadException naming what does not fit
   */
  public OnnxSignature inspect(Path onnx, InputSpec input, int classes) throws ModelLoadException {
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        OrtSession session = open(onnx, options)) {
      return check(session, onnx, input, classes);
    } catch (OrtException e) {
      throw new ModelLoadException("ONNX Runtime failed on " + onnx + ": " + e.getMessage(), e);
    }
  }

  private OrtSession open(Path onnx, OrtSession.SessionOptions options) throws ModelLoadException {
    if (!Files.isRegularFile(onnx)) {
      throw new ModelLoadException("cannot import " + onnx + ": not a regular file");
    }
    try {
      return env.createSession(onnx.toString(), options);
    } catch (OrtException e) {
      throw new ModelLoadException("ONNX Runtime cannot open " + onnx + " as a model: " + e.getMessage(), e);
    }
  }

  private OnnxSignature check(OrtSession session, Path onnx, InputSpec spec, int classes)
      throws OrtException, ModelLoadException {
    String what = "cannot import " + onnx.getFileName() + ": ";
    Map<String, NodeInfo> inputs = session.getInputInfo();
    if (inputs.size() != 1) {
      throw new ModelLoadException(what + "it has " + inputs.size() + " inputs " + inputs.keySet() + ", Osprey serves models with exactly one");
    }
    NodeInfo in = inputs.values().iterator().next();
    if (!(in.getInfo() instanceof TensorInfo inInfo) || inInfo.type != OnnxJavaType.FLOAT) {
      throw new ModelLoadException(what + "input '" + in.getName() + "' is " + in.getInfo() + ", expected a float tensor");
    }
    long[] inShape = inInfo.getShape();
    List<Integer> want = spec.shape();
    boolean fits = inShape.length == want.size() + 1 && (inShape[0] == -1 || inShape[0] >= 1);
    for (int i = 0; fits && i < want.size(); i++) {
      fits = inShape[i + 1] == -1 || inShape[i + 1] == want.get(i);
    }
    if (!fits) {
      throw new ModelLoadException(what + "input '" + in.getName() + "' has shape " + Arrays.toString(inShape)
          + " (-1 = dynamic), the input spec needs [batch, " + join(want) + "]");
    }
    NodeInfo out = null;
    for (NodeInfo o : session.getOutputInfo().values()) {
      if (o.getInfo() instanceof TensorInfo t && t.type == OnnxJavaType.FLOAT && t.getShape().length == 2) {
        out = o;
        break;
      }
    }
    if (out == null) {
      throw new ModelLoadException(what + "no output is a float tensor [batch, classes]; outputs: " + session.getOutputInfo().values());
    }
    long[] outShape = ((TensorInfo) out.getInfo()).getShape();
    if (outShape[1] != -1 && outShape[1] != classes) {
      throw new ModelLoadException(what + "output '" + out.getName() + "' has " + outShape[1]
          + " classes (shape " + Arrays.toString(outShape) + ") but " + classes + " labels were given");
    }
    OnnxSignature signature = new OnnxSignature(
        in.getName(), Arrays.stream(inShape).boxed().toList(), out.getName(), Arrays.stream(outShape).boxed().toList());
    // A trial run catches what declared shapes hide (dynamic class dimension, broken graphs).
    int batch = signature.batch() > 0 ? (int) signature.batch() : 2;
    float[][] scores = run(session, signature, spec, new float[batch * spec.size()], batch);
    if (scores.length != batch || scores[0].length != classes) {
      throw new ModelLoadException(what + "a trial run gave scores of shape [" + scores.length + ", "
          + scores[0].length + "], expected [" + batch + ", " + classes + "] for " + classes + " labels");
    }
    for (float[] row : scores) {
      for (float v : row) {
        if (!Float.isFinite(v)) {
          throw new ModelLoadException(what + "a trial run on a zero input gave a non-finite score " + v);
        }
      }
    }
    return signature;
  }

  private float[][] run(OrtSession session, OnnxSignature signature, InputSpec spec, float[] normalized, int batch)
      throws OrtException, ModelLoadException {
    long[] shape = new long[spec.shape().size() + 1];
    shape[0] = batch;
    for (int i = 0; i < spec.shape().size(); i++) {
      shape[i + 1] = spec.shape().get(i);
    }
    try (OnnxTensor x = OnnxTensor.createTensor(env, FloatBuffer.wrap(normalized), shape);
        OrtSession.Result result = session.run(Map.of(signature.inputName(), x), Set.of(signature.outputName()))) {
      OnnxValue value = result.get(0);
      if (!(value.getValue() instanceof float[][] scores)) {
        throw new ModelLoadException("output '" + signature.outputName() + "' is not a float matrix");
      }
      return scores;
    }
  }

  /** Class probabilities for raw reference inputs; softmax is applied unless the outputs already are probabilities. */
  private List<float[]> probabilities(OrtSession session, OnnxSignature signature, InputSpec spec, List<float[]> raw)
      throws OrtException, ModelLoadException {
    int batch = signature.batch() > 0 ? (int) signature.batch() : BATCH;
    int n = spec.size();
    List<float[]> out = new ArrayList<>(raw.size());
    for (int from = 0; from < raw.size(); from += batch) {
      int rows = Math.min(batch, raw.size() - from);
      // A fixed-batch graph gets zero padding; the padded rows are dropped.
      float[] x = new float[(signature.batch() > 0 ? batch : rows) * n];
      for (int r = 0; r < rows; r++) {
        spec.normalize(raw.get(from + r), x, r * n);
      }
      float[][] scores = run(session, signature, spec, x, x.length / n);
      for (int r = 0; r < rows; r++) {
        out.add(isProbability(scores[r]) ? scores[r] : Softmax.of(scores[r]));
      }
    }
    return out;
  }

  private static boolean isProbability(float[] row) {
    double sum = 0;
    for (float v : row) {
      if (v < 0 || v > 1) {
        return false;
      }
      sum += v;
    }
    return Math.abs(sum - 1) < PROBABILITY_TOLERANCE;
  }

  private static String join(List<Integer> dims) {
    return String.join(", ", dims.stream().map(String::valueOf).toList());
  }
}
