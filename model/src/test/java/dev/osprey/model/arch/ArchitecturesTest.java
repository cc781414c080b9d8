package dev.osprey.model.arch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.training.ParameterStore;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.osprey.core.djl.DjlOfflineGuard;
import dev.osprey.model.net.NetworkSpec;
import org.junit.jupiter.api.Test;

class ArchitecturesTest {
  static {
    DjlOfflineGuard.install();
  }

  @Test
  void parameterCountFromSpecMatchesTheBuiltBlock() {
    try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
      for (String name : Architectures.names()) {
        NetworkSpec spec = Architectures.byName(name, 10);
        SequentialBlock block = spec.build();
        block.initialize(manager, DataType.FLOAT32, new Shape(1, 1, 28, 28));
        long djl = 0;
        for (Parameter p : block.getParameters().values()) {
          if (p.getType() != Parameter.Type.RUNNING_MEAN && p.getType() != Parameter.Type.RUNNING_VAR) {
            djl += p.getArray().size();
          }
        }
        assertEquals(djl, Architectures.parameterCount(spec), name);
      }
    }
    // conv 1->8: 80, bn 16, conv 8->16: 1168, bn 32, dense 784->64: 50240, head 650
    assertEquals(52_186, Architectures.parameterCount(Architectures.cnnStudent(10)));
    // Hinton's MLPs: 784*1200+1200 + 1200*1200+1200 + 12010; 784*800+800 + 800*800+800 + 8010
    assertEquals(2_395_210, Architectures.parameterCount(Architectures.mlpTeacher(10)));
    assertEquals(1_276_810, Architectures.parameterCount(Architectures.mlpStudent(10)));
    // conv 1->16 5x5: 416, bn 32, conv 16->32: 4640, bn 64, dense 1568->128: 200832, head 1290
    assertEquals(207_274, Architectures.parameterCount(Architectures.cnnWide(10)));
    // conv 1->32 4x4: 544, bn 64, dense 1568->128: 200832, head 1290
    assertEquals(202_730, Architectures.parameterCount(Architectures.cnnPatch(10)));
    // conv 1->8: 80, bn 16, dense 1568->256: 401664, head 2570
    assertEquals(404_330, Architectures.parameterCount(Architectures.cnnGemm(10)));
    // conv 1->16: 160, bn 32, conv 16->32: 4640, bn 64, conv 32->32: 9248, bn 64, dense 32->64: 2112, head 650
    assertEquals(16_970, Architectures.parameterCount(Architectures.cnnGap(10)));
    // 784*300+300 + 300*100+100 + 1010
    assertEquals(266_610, Architectures.parameterCount(Architectures.mlpSmall(10)));
    assertTrue(Architectures.names().containsAll(Architectures.students()));
  }

  @Test
  void stagesRunOneAfterAnotherInOnePass() {
    try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
      SequentialBlock block = Architectures.cnnStudent(10).build();
      block.initialize(manager, DataType.FLOAT32, new Shape(1, 1, 28, 28));
      NDArray x = manager.randomNormal(new Shape(4, 1, 28, 28));
      NetworkActivations a = NetworkActivations.of(block, x);
      assertEquals(new Shape(4, 16, 7, 7), a.featureMaps().getShape());
      assertEquals(new Shape(4, 64), a.embedding().getShape());
      assertEquals(new Shape(4, 10), a.logits().getShape());
      NDArray whole = block.forward(new ParameterStore(manager, false), new NDList(x), false).singletonOrThrow();
      assertArrayEquals(whole.toFloatArray(), a.logits().toFloatArray(), 1e-6f);
    }
  }

  @Test
  void mlpFeatureMapsAreTheInputAndSpecsRoundTripAsJson() throws Exception {
    try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
      SequentialBlock block = Architectures.mlpStudent(10).build();
      block.initialize(manager, DataType.FLOAT32, new Shape(1, 1, 28, 28));
      NDArray x = manager.randomNormal(new Shape(2, 1, 28, 28));
      NetworkActivations a = NetworkActivations.of(block, x);
      assertEquals(x.getShape(), a.featureMaps().getShape());
      assertEquals(new Shape(2, 800), a.embedding().getShape());
    }
    ObjectMapper json = new ObjectMapper();
    for (String name : Architectures.names()) {
      NetworkSpec spec = Architectures.byName(name, 10);
      assertEquals(spec, json.readValue(json.writeValueAsString(spec), NetworkSpec.class));
    }
    assertThrows(IllegalArgumentException.class, () -> Architectures.byName("resnet", 10));
  }
}
