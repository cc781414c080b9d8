package dev.osprey.model.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class SymmetricScalesTest {

  @Test
  void perTensorScaleIsAbsMaxOver127() {
    float[] x = {0.5f, -2.54f, 1.0f};
    assertEquals(2.54f, SymmetricScales.absMax(x));
    assertEquals(0.02f, SymmetricScales.scale(2.54f), 1e-7f);
    assertEquals(-127, SymmetricScales.quantize(-2.54f, 0.02f));
    assertEquals(25, SymmetricScales.quantize(0.5f, 0.02f));
    // outside the threshold clamps, never wraps
    assertEquals(127, SymmetricScales.quantize(100f, 0.02f));
    // round half to even, like ONNX QuantizeLinear
    assertEquals(2, SymmetricScales.quantize(2.5f, 1f));
    assertEquals(1f, SymmetricScales.scale(0f));
    assertThrows(IllegalArgumentException.class, () -> SymmetricScales.scale(Float.NaN));
  }

  @Test
  void perChannelScalesOnConvWeightUseAxisZero() {
    // [out=2, in=1, k=2, k=2]
    float[] w = {1f, -2f, 0.5f, 0f, /* channel 1 */ 0.1f, 0.2f, -0.3f, 0.127f};
    long[] dims = {2, 1, 2, 2};
    float[] s = SymmetricScales.perChannel(w, dims, 0);
    assertArrayEquals(new float[] {2f / 127, 0.3f / 127}, s, 1e-9f);
    byte[] q = SymmetricScales.quantizePerChannel(w, dims, 0, s);
    assertArrayEquals(new byte[] {64, -127, 32, 0, 42, 85, -127, 54}, q);
  }

  @Test
  void perColumnScalesForInOutWeightUseAxisOne() {
    // MatMul / Gemm transB=0 weight [in=3, out=2]: column max |.| = {3, 0.6}
    float[] w = {1f, 0.2f, -3f, 0.6f, 2f, -0.1f};
    float[] s = SymmetricScales.perChannel(w, new long[] {3, 2}, 1);
    assertArrayEquals(new float[] {3f / 127, 0.6f / 127}, s, 1e-9f);
    // the same matrix stored transposed [out=2, in=3] (transB=1) gives the same scales on axis 0
    float[] wt = {1f, -3f, 2f, 0.2f, 0.6f, -0.1f};
    assertArrayEquals(s, SymmetricScales.perChannel(wt, new long[] {2, 3}, 0), 1e-9f);
  }
}
