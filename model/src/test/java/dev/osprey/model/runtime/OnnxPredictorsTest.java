package dev.osprey.model.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.osprey.core.djl.DjlOfflineGuard;
import dev.osprey.model.net.LayerSpec;
import dev.osprey.model.net.NetworkSpec;
import dev.osprey.model.onnx.OnnxExporter;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/** Runtime selection on a machine without GPU: TensorRT must fail cleanly and AUTO must fall back. */
class OnnxPredictorsTest {
  static {
    DjlOfflineGuard.install();
  }

  static final NetworkSpec MLP = new NetworkSpec("tiny-mlp", List.of(1, 4, 4), List.of(new LayerSpec.DropoutLayer(0f)),
      List.of(new LayerSpec.Flatten(), new LayerSpec.Dense(6), new LayerSpec.Relu()), 3);

  static Path exportRandomMlp(Path dir) throws Exception {
    Path file = dir.resolve("mlp.onnx");
    ai.djl.engine.Engine.getEngine("PyTorch").setRandomSeed(3);
    try (Model m = Model.newInstance("tiny", "PyTorch")) {
      Block b = MLP.build();
      m.setBlock(b);
      b.initialize(m.getNDManager(), DataType.FLOAT32, new Shape(1, 1, 4, 4));
      new OnnxExporter().export(MLP, b, file);
    }
    return file;
  }

  @Test
  void autoFallsBackToCpuWithOneWarningAndReportsIt(@TempDir Path dir) throws Exception {
    Path model = exportRandomMlp(dir);
    Logger log = (Logger) LoggerFactory.getLogger(OnnxPredictors.class);
    ListAppender<ILoggingEvent> events = new ListAppender<>();
    events.start();
    log.addAppender(events);
    try (OnnxPredictor p = OnnxPredictors.open(RuntimeKind.AUTO, model, OrtConfig.cpu(1),
        TensorRtOptions.int8(dir.resolve("trt").toString()))) {
      assertEquals(RuntimeKind.ONNX_CPU, p.activeRuntime());
      float[] x = new float[2 * 16];
      for (int i = 0; i < x.length; i++) {
        x[i] = i / 32f;
      }
      Predictions out = p.predict(x, 2);
      assertEquals(2, out.batchSize());
      assertEquals(3, out.classes());
      assertEquals(6, out.embeddingSize());
      assertTrue(p.isThreadSafe());
    } finally {
      log.detachAppender(events);
    }
    assertEquals(1, events.list.size(), "exactly one log line: " + events.list);
    String line = events.list.get(0).getFormattedMessage();
    assertTrue(line.contains("TensorRT unavailable") && line.contains("falling back to onnx-cpu"), line);
  }

  @Test
  void explicitTensorRtFailsWithClearError(@TempDir Path dir) throws Exception {
    Path model = exportRandomMlp(dir);
    PredictorException e = assertThrows(PredictorException.class,
        () -> OnnxPredictors.open(RuntimeKind.ONNX_TENSORRT, model, OrtConfig.cpu(1), TensorRtOptions.int8("c")));
    assertTrue(e.getMessage().startsWith("TensorRT could not load the model"), e.getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> OnnxPredictors.open(RuntimeKind.PYTORCH, model, OrtConfig.cpu(1), null));
  }

  @Test
  void predictRejectsWrongBatchLength(@TempDir Path dir) throws Exception {
    try (OnnxPredictor p = OnnxPredictor.openCpu(exportRandomMlp(dir), OrtConfig.cpu(1))) {
      assertEquals(16, p.sampleSize());
      assertThrows(IllegalArgumentException.class, () -> p.predict(new float[15], 1));
    }
  }

  @Test
  void ortConfigValidates() {
    var e = assertThrows(IllegalArgumentException.class, () -> OrtConfig.cpu(0));
    assertTrue(e.getMessage().contains("intraOpThreads"));
  }

}
