package dev.osprey.core.event.bench;

import dev.osprey.core.event.EventCodec;
import dev.osprey.core.event.InvalidEventException;
import dev.osprey.core.event.Prediction;
import dev.osprey.core.event.Sample;
import dev.osprey.core.event.Tensor;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * The serving path's two per-sample codec stages on one thread, in CPU time: decoding a sample
 * record (a 28x28 uint8 tensor, base64 in JSON, as producers write them) and encoding its
 * prediction (ten probabilities). A measurement, not a test; run it on two builds one after the
 * other, alternating, to compare them (docs/benchmarks-inference.md).
 *
 * <p>Args: {@code [rounds=7] [items per round=20000]}. Prints the median and min microseconds per
 * item over the rounds, after two untimed rounds.
 */
public final class CodecBenchmark {
  private CodecBenchmark() {}

  public static void main(String[] args) throws InvalidEventException {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 7;
    int items = args.length > 1 ? Integer.parseInt(args[1]) : 20_000;
    EventCodec codec = new EventCodec();
    Random random = new Random(3);
    List<byte[]> samples = new ArrayList<>();
    List<Prediction> predictions = new ArrayList<>();
    for (int i = 0; i < 1_000; i++) {
      byte[] pixels = new byte[784];
      for (int p = 0; p < pixels.length; p++) {
        pixels[p] = (byte) (random.nextInt(5) == 0 ? random.nextInt(256) : 0); // mostly background, as digits are
      }
      samples.add(codec.encode(Sample.ofTensor("digit-" + i, 1732350000000L + i, Tensor.ofUint8(pixels, 1, 28, 28),
          Map.of())));
      List<Float> probabilities = new ArrayList<>();
      float sum = 0;
      for (int c = 0; c < 10; c++) {
        float v = random.nextFloat();
        probabilities.add(v);
        sum += v;
      }
      final float total = sum;
      probabilities.replaceAll(v -> v / total);
      predictions.add(new Prediction(1, "digit-" + i, "digits", 3, i % 10, Integer.toString(i % 10),
          probabilities.get(i % 10), probabilities, null, "onnx-cpu", "int8", 1732350000000L + i, 1732350000012L + i));
    }
    ThreadMXBean cpu = ManagementFactory.getThreadMXBean();
    double[] decode = new double[rounds];
    double[] encode = new double[rounds];
    long sink = 0;
    for (int round = -2; round < rounds; round++) {
      long t0 = cpu.getCurrentThreadCpuTime();
      for (int i = 0; i < items; i++) {
        sink += codec.decodeSample(samples.get(i % samples.size())).tensor().data()[i % 784];
      }
      long t1 = cpu.getCurrentThreadCpuTime();
      for (int i = 0; i < items; i++) {
        sink += codec.encode(predictions.get(i % predictions.size())).length;
      }
      long t2 = cpu.getCurrentThreadCpuTime();
      if (round >= 0) {
        decode[round] = (t1 - t0) / 1e3 / items;
        encode[round] = (t2 - t1) / 1e3 / items;
      }
    }
    System.out.printf(Locale.ROOT, "decode a sample: median %.2f us (min %.2f); encode a prediction: median %.2f us "
        + "(min %.2f); %d rounds of %d, sample %d bytes (checksum %d)%n", median(decode), Arrays.stream(decode).min()
        .orElseThrow(), median(encode), Arrays.stream(encode).min().orElseThrow(), rounds, items, samples.get(0).length, sink);
  }

  private static double median(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  }
}
