package dev.osprey.model.runtime;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.osprey.core.data.ImageDataset;
import dev.osprey.core.djl.DjlOfflineGuard;
import dev.osprey.core.event.Tensor;
import dev.osprey.model.InputSpec;
import dev.osprey.model.plan.HostProfile;
import dev.osprey.model.serving.TestModels;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The two per-batch copies cut from the serving path, before and after, side by side in
 * alternating rounds on one thread (a measurement, not a test): (1) normalizing 64 sample tensors
 * into the batch through a float[] per sample (before) or straight from the bytes (after); (2) the
 * ONNX Runtime call with the batch in a heap buffer, which ORT copies into a fresh direct buffer
 * (before), or through {@link OnnxPredictor#predict}'s reused direct buffer (after), on the test
 * int8 CNN. Reports the thread's CPU microseconds per batch of 64, median and min over rounds.
 *
 * <p>Args: {@code [rounds=9] [batches-per-round=2000]}.
 */
public final class ServingInputBenchmark {
  private static final ThreadMXBean CPU = ManagementFactory.getThreadMXBean();
  private static volatile float sink;

  private ServingInputBenchmark() {}

  public static void main(String[] args) throws Exception {
    DjlOfflineGuard.install();
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 9;
    int perRound = args.length > 1 ? Integer.parseInt(args[1]) : 2000;
    InputSpec spec = InputSpec.mnist();
    ImageDataset test = TestModels.test();
    List<Tensor> tensors = new ArrayList<>();
    for (int i = 0; i < 64; i++) {
      tensors.add(Tensor.ofUint8(test.image(i), 1, 28, 28));
    }
    float[] x = new float[64 * 784];
    byte[] int8 = TestModels.variants().get(0).int8();
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OnnxPredictor predictor = OnnxPredictor.openCpu(int8, OrtConfig.cpu(1));
        OrtSession.SessionOptions opts = new OrtSession.SessionOptions()) {
      opts.setIntraOpNumThreads(1);
      opts.setInterOpNumThreads(1);
      try (OrtSession session = env.createSession(int8, opts)) {
        String input = session.getInputNames().iterator().next();
        long[] shape = {64, 1, 28, 28};
        Map<String, Runnable> stages = new java.util.LinkedHashMap<>();
        stages.put("normalize 64 tensors: float[] per sample (before)", () -> {
          for (int i = 0; i < 64; i++) {
            spec.normalize(tensors.get(i).toFloats(), x, i * 784);
          }
        });
        stages.put("normalize 64 tensors: from the bytes (after)", () -> {
          for (int i = 0; i < 64; i++) {
            try {
              spec.normalize(tensors.get(i), x, i * 784);
            } catch (dev.osprey.core.event.InvalidEventException e) {
              throw new IllegalStateException(e);
            }
          }
        });
        stages.put("ORT call, batch 64: heap buffer copied by ORT (before)", () -> {
          try (OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), shape);
              OrtSession.Result r = session.run(Map.of(input, t))) {
            sink += ((OnnxTensor) r.get(0)).getFloatBuffer().get(0);
          } catch (ai.onnxruntime.OrtException e) {
            throw new IllegalStateException(e);
          }
        });
        stages.put("ORT call, batch 64: reused direct buffer (after)", () -> {
          try {
            sink += predictor.predict(x, 64).logits()[0];
          } catch (PredictorException e) {
            throw new IllegalStateException(e);
          }
        });
        for (Runnable r : stages.values()) {
          for (int i = 0; i < perRound / 4; i++) {
            r.run();
          }
        }
        Map<String, double[]> micros = new java.util.LinkedHashMap<>();
        stages.keySet().forEach(k -> micros.put(k, new double[rounds]));
        List<String> order = new ArrayList<>(stages.keySet());
        for (int round = 0; round < rounds; round++) {
          for (int k = 0; k < order.size(); k++) {
            String name = order.get((k + round) % order.size());
            Runnable r = stages.get(name);
            long start = CPU.getCurrentThreadCpuTime();
            for (int i = 0; i < perRound; i++) {
              r.run();
            }
            micros.get(name)[round] = (CPU.getCurrentThreadCpuTime() - start) / 1e3 / perRound;
          }
        }
        System.out.println("host: " + HostProfile.current().key() + ", load " + loadAverage());
        System.out.println("| stage | CPU µs per batch of 64, median | min |");
        System.out.println("|---|---|---|");
        micros.forEach((name, v) -> {
          double[] s = v.clone();
          Arrays.sort(s);
          System.out.printf(Locale.ROOT, "| %s | %.1f | %.1f |%n", name, s[s.length / 2], s[0]);
        });
      }
    }
  }

  private static String loadAverage() throws java.io.IOException {
    String[] f = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg")).split(" ");
    return f[0] + " " + f[1] + " " + f[2];
  }
}
