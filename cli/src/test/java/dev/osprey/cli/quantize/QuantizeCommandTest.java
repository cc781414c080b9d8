package dev.osprey.cli.quantize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import dev.osprey.cli.OspreyCommand;
import dev.osprey.core.djl.DjlOfflineGuard;
import dev.osprey.model.onnx.OnnxExporter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class QuantizeCommandTest {
  static {
    DjlOfflineGuard.install();
  }

  @Test
  void quantizesAnOnnxFileOnFixtureSamples(@TempDir Path dir) throws Exception {
    Path fp32 = dir.resolve("student.onnx");
    ai.djl.engine.Engine.getEngine("PyTorch").setRandomSeed(11);
    try (Model m = Model.newInstance("s", "PyTorch")) {
      Block b = Int8BenchCommand.STUDENT.build();
      m.setBlock(b);
      b.initialize(m.getNDManager(), DataType.FLOAT32, new Shape(1, 1, 28, 28));
      new OnnxExporter().export(Int8BenchCommand.STUDENT, b, fp32);
    }
    Path out = dir.resolve("q/student-int8.onnx");
    int rc = OspreyCommand.newCommandLine().execute("quantize", "--onnx", fp32.toString(), "--samples", "200",
        "--method", "percentile", "--out", out.toString());
    assertEquals(0, rc);
    ModelProto q = ModelProto.parseFrom(Files.readAllBytes(out));
    long qdq = q.getGraph().getNodeList().stream().map(NodeProto::getOpType).filter("QuantizeLinear"::equals).count();
    assertEquals(7, qdq);
    assertTrue(Files.size(out) < Files.size(fp32) / 2, Files.size(out) + " vs " + Files.size(fp32));
  }

  @Test
  void missingSourceOrUnknownMethodFails(@TempDir Path dir) {
    assertNotEquals(0, OspreyCommand.newCommandLine().execute("quantize", "--out", dir.resolve("x.onnx").toString()));
    assertNotEquals(0, OspreyCommand.newCommandLine().execute("quantize", "--onnx", "x.onnx", "--model", "d",
        "--out", dir.resolve("x.onnx").toString()));
    assertNotEquals(0, OspreyCommand.newCommandLine().execute("quantize", "--onnx", dir.resolve("none.onnx").toString(),
        "--method", "magic", "--out", dir.resolve("x.onnx").toString()));
  }
}
