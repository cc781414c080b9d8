package dev.osprey.model.registry;

import ai.onnx.proto.OnnxMl;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A linear classifier as an ONNX graph, Flatten then Gemm with fixed weights, so its logits have a
 * closed form: {@code logits[k] = sum_i W[k][i] * x[i] + b[k]}.
 *
 * @param batch fixed batch size, or -1 for a dynamic batch dimension "N"
 * @param shape per-sample input shape
 * @param classes output width
 */
record TinyOnnxClassifier(long batch, int[] shape, int classes) {

  int features() {
    int n = 1;
    for (int d : shape) {
      n *= d;
    }
    return n;
  }

  float weight(int k, int i) {
    return ((i * 7 + k * 3) % 11 - 5) / 10f;
  }

  float bias(int k) {
    return k * 0.5f - 0.25f;
  }

  /** The closed-form logits for one flattened (already normalized) input. */
  double[] logits(float[] x) {
    double[] out = new double[classes];
    for (int k = 0; k < classes; k++) {
      double s = bias(k);
      for (int i = 0; i < features(); i++) {
        s += (double) weight(k, i) * x[i];
      }
      out[k] = s;
    }
    return out;
  }

  byte[] toBytes() {
    int f = features();
    OnnxMl.TensorProto.Builder w = OnnxMl.TensorProto.newBuilder().setName("W").addDims(classes).addDims(f)
        .setDataType(OnnxMl.TensorProto.DataType.FLOAT.getNumber());
    for (int k = 0; k < classes; k++) {
      for (int i = 0; i < f; i++) {
        w.addFloatData(weight(k, i));
      }
    }
    OnnxMl.TensorProto.Builder b = OnnxMl.TensorProto.newBuilder().setName("b").addDims(classes)
        .setDataType(OnnxMl.TensorProto.DataType.FLOAT.getNumber());
    for (int k = 0; k < classes; k++) {
      b.addFloatData(bias(k));
    }
    long[] inDims = new long[shape.length + 1];
    inDims[0] = batch;
    for (int i = 0; i < shape.length; i++) {
      inDims[i + 1] = shape[i];
    }
    // The operator enum of tribuo-util-onnx is not needed: nodes are plain protobuf messages.
    OnnxMl.GraphProto graph = OnnxMl.GraphProto.newBuilder()
        .setName("tiny")
        .addInitializer(w)
        .addInitializer(b)
        .addInput(valueInfo("x", inDims))
        .addOutput(valueInfo("logits", new long[] {batch, classes}))
        .addNode(OnnxMl.NodeProto.newBuilder().setName("flatten").setOpType("Flatten").addInput("x").addOutput("flat")
            .addAttribute(intAttribute("axis", 1)))
        .addNode(OnnxMl.NodeProto.newBuilder().setName("gemm").setOpType("Gemm").addInput("flat").addInput("W")
            .addInput("b").addOutput("logits").addAttribute(intAttribute("transB", 1)))
        .build();
    return OnnxMl.ModelProto.newBuilder()
        .setIrVersion(8)
        .setProducerName("osprey-test")
        .addOpsetImport(OnnxMl.OperatorSetIdProto.newBuilder().setDomain("").setVersion(13))
        .setGraph(graph)
        .build()
        .toByteArray();
  }

  Path write(Path file) throws IOException {
    Files.createDirectories(file.getParent());
    return Files.write(file, toBytes());
  }

  private static OnnxMl.AttributeProto intAttribute(String name, long value) {
    return OnnxMl.AttributeProto.newBuilder().setName(name).setType(OnnxMl.AttributeProto.AttributeType.INT)
        .setI(value).build();
  }

  private static OnnxMl.ValueInfoProto valueInfo(String name, long[] dims) {
    OnnxMl.TensorShapeProto.Builder shape = OnnxMl.TensorShapeProto.newBuilder();
    for (long d : dims) {
      shape.addDim(d < 0
          ? OnnxMl.TensorShapeProto.Dimension.newBuilder().setDimParam("N")
          : OnnxMl.TensorShapeProto.Dimension.newBuilder().setDimValue(d));
    }
    return OnnxMl.ValueInfoProto.newBuilder().setName(name)
        .setType(OnnxMl.TypeProto.newBuilder().setTensorType(OnnxMl.TypeProto.Tensor.newBuilder()
            .setElemType(OnnxMl.TensorProto.DataType.FLOAT.getNumber()).setShape(shape)))
        .build();
  }
}
