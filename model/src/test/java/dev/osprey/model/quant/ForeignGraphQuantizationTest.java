package dev.osprey.model.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import dev.osprey.model.onnx.OnnxNodes;
import dev.osprey.model.onnx.OnnxTensors;
import dev.osprey.model.runtime.OnnxPredictor;
import dev.osprey.model.runtime.OrtConfig;
import dev.osprey.model.runtime.Predictions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A graph Osprey did not export: MatMul + Add + Relu + Gemm(transB = 0), opset 13. */
class ForeignGraphQuantizationTest {

  static ModelProto mlp(Random r) {
    float[] w1 = new float[16 * 32];
    float[] b1 = new float[32];
    float[] w2 = new float[32 * 5];
    float[] b2 = new float[5];
    for (float[] a : new float[][] {w1, b1, w2, b2}) {
      for (int i = 0; i < a.length; i++) {
        a[i] = (float) r.nextGaussian() * 0.3f;
      }
    }
    GraphProto g = GraphProto.newBuilder().setName("foreign")
        .addInput(OnnxNodes.floatTensor("x", "batch", -1, 16))
        .addOutput(OnnxNodes.floatTensor("y", "batch", -1, 5))
        .addInitializer(OnnxTensors.floats("W1", new long[] {16, 32}, w1))
        .addInitializer(OnnxTensors.floats("B1", new long[] {32}, b1))
        .addInitializer(OnnxTensors.floats("W2", new long[] {32, 5}, w2))
        .addInitializer(OnnxTensors.floats("B2", new long[] {5}, b2))
        .addNode(OnnxNodes.node("MatMul", "mm", List.of("x", "W1"), List.of("h0")))
        .addNode(OnnxNodes.node("Add", "add", List.of("h0", "B1"), List.of("h1")))
        .addNode(OnnxNodes.node("Relu", "relu", List.of("h1"), List.of("h2")))
        .addNode(OnnxNodes.node("Gemm", "gemm", List.of("h2", "W2", "B2"), List.of("y")))
        .build();
    return ModelProto.newBuilder().setIrVersion(7)
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(13)).setGraph(g).build();
  }

  @Test
  void matMulAndTransposedGemmQuantizePerOutputColumn(@TempDir Path dir) throws Exception {
    Random r = new Random(5);
    ModelProto fp32 = mlp(r);
    float[] x = new float[400 * 16];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) r.nextGaussian();
    }
    ModelProto q = new QdqQuantizer(QuantizationConfig.of(CalibrationMethod.MINMAX)).quantize(fp32, x, 400, i -> {}).model();
    TensorProto w2scale = q.getGraph().getInitializerList().stream()
        .filter(t -> t.getName().equals("W2_scale")).findFirst().orElseThrow();
    // Gemm with transB = 0: weight [32, 5], one scale per output column (axis 1)
    assertEquals(List.of(5L), w2scale.getDimsList());
    NodeProto dq = q.getGraph().getNodeList().stream()
        .filter(n -> n.getName().equals("W2_DequantizeLinear")).findFirst().orElseThrow();
    assertEquals(1, OnnxNodes.intAttribute(dq, "axis", -1));
    float[] w2 = OnnxTensors.toFloats(fp32.getGraph().getInitializer(2));
    assertArrayEquals(SymmetricScales.perChannel(w2, new long[] {32, 5}, 1, 63), OnnxTensors.toFloats(w2scale), 0f);

    Path file = dir.resolve("q.onnx");
    Files.write(file, q.toByteArray());
    Path optimized = dir.resolve("q.opt.onnx");
    Predictions a;
    Predictions b;
    try (OnnxPredictor p = OnnxPredictor.openCpu(fp32.toByteArray(), OrtConfig.cpu(1))) {
      a = p.predict(x, 400);
    }
    try (OnnxPredictor p = OnnxPredictor.openCpu(file, OrtConfig.cpu(1).withOptimizedModelPath(optimized))) {
      b = p.predict(x, 400);
    }
    List<String> ops = ModelProto.parseFrom(Files.readAllBytes(optimized)).getGraph().getNodeList().stream()
        .map(NodeProto::getOpType).toList();
    System.out.println("foreign graph optimized ops: " + ops);
    assertTrue(ops.stream().anyMatch(o -> o.equals("QLinearMatMul") || o.equals("MatMulIntegerToFloat")
        || o.equals("MatMulInteger")), "int8 matmul kernel in " + ops);
    assertTrue(ops.contains("QGemm"), "QGemm in " + ops);
    double maxErr = 0;
    double maxAbs = 0;
    for (int i = 0; i < a.logits().length; i++) {
      maxErr = Math.max(maxErr, Math.abs(a.logits()[i] - b.logits()[i]));
      maxAbs = Math.max(maxAbs, Math.abs(a.logits()[i]));
    }
    System.out.printf("foreign graph: max |int8 - fp32| = %.4f of max |fp32| = %.3f%n", maxErr, maxAbs);
    assertTrue(maxErr / maxAbs < 0.05, "relative error " + maxErr / maxAbs);
  }
}
