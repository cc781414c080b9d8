package dev.osprey.cli.models;

import ai.onnxruntime.OrtEnvironment;
import dev.osprey.core.data.Datasets;
import dev.osprey.core.data.ImageDataset;
import dev.osprey.core.event.DType;
import dev.osprey.model.InputSpec;
import dev.osprey.model.registry.ModelImporter;
import dev.osprey.model.registry.ModelLoadException;
import dev.osprey.model.registry.ModelVersion;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code osprey models import FILE ...}: checks a user's ONNX classifier against the declared
 * input and labels with ONNX Runtime, then publishes it as the next version of {@code --name}.
 */
@Command(name = "import", mixinStandardHelpOptions = true,
    description = "Import your own ONNX classifier (inference-only); exits 1 if it does not fit the spec.")
public final class ImportModelCommand implements Callable<Integer> {
  @Mixin RegistryOption registry;
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "FILE", description = "The .onnx model file.")
  Path file;

  @Option(names = "--name", required = true, description = "Registry name of the model.")
  String name;

  @Option(names = "--labels", required = true, split = ",", paramLabel = "L0,L1,...",
      description = "Class names in output order, e.g. 0,1,2,3,4,5,6,7,8,9.")
  List<String> labels;

  @Option(names = "--input-shape", required = true, split = ",", paramLabel = "D1,D2,...",
      description = "Per-sample input shape without the batch dimension, e.g. 1,28,28.")
  List<Integer> inputShape;

  @Option(names = "--dtype", defaultValue = "uint8", converter = DTypeConverter.class,
      description = "Element type on the wire: uint8 or float32 (default: ${DEFAULT-VALUE}).")
  DType dtype;

  @Option(names = "--scale", description = "Divisor applied first (default: 255 for uint8, 1 for float32).")
  Float scale;

  @Option(names = "--mean", split = ",", defaultValue = "0", description = "Per-channel mean after scaling.")
  List<Float> mean;

  @Option(names = "--std", split = ",", defaultValue = "1", description = "Per-channel std after scaling.")
  List<Float> std;

  @Option(names = "--parent", description = "Earlier version of the same name this one replaces.")
  Integer parent;

  @Option(names = "--reference", paramLabel = "DATASET",
      description = "Greyscale image dataset (e.g. fixture:test, mnist:test) for the drift reference profile.")
  String reference;

  @Option(names = "--reference-count", defaultValue = "1000", description = "Images of --reference to use.")
  int referenceCount;

  @Option(names = "--data-dir", defaultValue = "data", description = "Dataset directory (default: ${DEFAULT-VALUE}).")
  Path dataDir;

  @Override
  public Integer call() throws IOException {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    InputSpec input;
    ModelImporter.ImportRequest request;
    try {
      float s = scale != null ? scale : (dtype == DType.UINT8 ? 255f : 1f);
      input = new InputSpec(dtype, inputShape, s, toArray(mean), toArray(std));
      request = new ModelImporter.ImportRequest(file, name, input, labels, parent, referenceInputs(input));
    } catch (IllegalArgumentException e) {
      err.println("invalid import arguments: " + e.getMessage());
      return 2;
    }
    try {
      ModelVersion v = new ModelImporter(registry.open(), OrtEnvironment.getEnvironment()).importOnnx(request);
      out.println("imported " + v.ref() + " into " + v.directory());
      out.println("input " + v.manifest().architecture().hyperparameters().get("inputName")
          + v.manifest().architecture().hyperparameters().get("inputShape") + ", output "
          + v.manifest().architecture().hyperparameters().get("outputName")
          + v.manifest().architecture().hyperparameters().get("outputShape")
          + (v.manifest().reference() == null ? ", no reference profile"
              : ", reference profile from " + v.manifest().reference().confidence().total() + " samples"));
      return 0;
    } catch (ModelLoadException | IllegalArgumentException e) {
      err.println(e.getMessage());
      return ModelsCommand.MODEL_ERROR;
    }
  }

  private List<float[]> referenceInputs(InputSpec input) throws IOException {
    if (reference == null) {
      return List.of();
    }
    ImageDataset data = new Datasets(dataDir).load(reference);
    if (input.size() != data.imageSize()) {
      throw new IllegalArgumentException(reference + " images have " + data.imageSize()
          + " pixels, the input shape " + input.shape() + " needs " + input.size());
    }
    int n = Math.min(referenceCount, data.size());
    List<float[]> rows = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      byte[] img = data.image(i);
      float[] raw = new float[img.length];
      for (int k = 0; k < img.length; k++) {
        raw[k] = img[k] & 0xFF; // raw pixel values: the spec's scale/mean/std apply on top
      }
      rows.add(raw);
    }
    return rows;
  }

  private static float[] toArray(List<Float> values) {
    float[] a = new float[values.size()];
    for (int i = 0; i < a.length; i++) {
      a[i] = values.get(i);
    }
    return a;
  }

  static final class DTypeConverter implements picocli.CommandLine.ITypeConverter<DType> {
    @Override
    public DType convert(String value) {
      return DType.fromWire(value.toLowerCase(java.util.Locale.ROOT));
    }
  }
}
