package dev.osprey.model.arch;

import dev.osprey.model.net.LayerSpec;
import dev.osprey.model.net.LayerSpec.BatchNormalization;
import dev.osprey.model.net.LayerSpec.Conv;
import dev.osprey.model.net.LayerSpec.Dense;
import dev.osprey.model.net.LayerSpec.DropoutLayer;
import dev.osprey.model.net.LayerSpec.Flatten;
import dev.osprey.model.net.LayerSpec.GlobalAveragePool;
import dev.osprey.model.net.LayerSpec.MaxPool;
import dev.osprey.model.net.LayerSpec.Relu;
import dev.osprey.model.net.NetworkSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The classifiers Osprey trains, as {@link NetworkSpec}s over 1x28x28 greyscale input. The CNNs
 * are the production pair (teacher distilled into the student that is quantized and served); the
 * MLPs reproduce Hinton, Vinyals and Dean (2015)'s MNIST experiment.
 */
public final class Architectures {
  public static final String CNN_TEACHER = "cnn-teacher";
  public static final String CNN_STUDENT = "cnn-student";
  public static final String MLP_TEACHER = "mlp-1200";
  public static final String MLP_STUDENT = "mlp-800";
  /** A CNN whose first layer is wider (5x5, stride 2, 16 filters): a 25-element reduction int8 kernels handle well. */
  public static final String CNN_WIDE = "cnn-wide";
  /** Gemm-heavy: a 4x4/stride-4 patch conv (16-element reduction, 7x7 output) feeding a dense layer that does most of the work. */
  public static final String CNN_PATCH = "cnn-patch";
  /** Gemm-heavy: one small conv block, then a wide dense layer. */
  public static final String CNN_GEMM = "cnn-gemm";
  /**
   * A CNN with a global-average-pooling head (Zhou et al.'s CAM architecture, ResNet's head): no
   * position survives the last conv, so the class evidence must be local to the feature maps.
   */
  public static final String CNN_GAP = "cnn-gap";
  /** LeCun's 784-300-100 MLP: a smaller MLP student. */
  public static final String MLP_SMALL = "mlp-300";

  /**
   * The student the demo and the retraining loop distill by default: the best point of the
   * precision study (docs/benchmarks-precision.md) — the accuracy/throughput Pareto front at batch
   * 64 on the study host, where its int8 plan is several times its own fp32 graph while the
   * cnn-student's int8 loses to fp32 (its 1-channel 3x3 first conv).
   */
  public static final String DEFAULT_STUDENT = MLP_STUDENT;

  private static final List<Integer> MNIST_SHAPE = List.of(1, 28, 28);
  private static final float BN_EPS = BatchNormalization.DEFAULT_EPSILON;

  private Architectures() {}

  /**
   * Teacher CNN: conv32-bn-relu-pool, conv64-bn-relu-pool, dense256-bn-relu-dropout(0.3). About
   * 0.9 M parameters; sized to train a few minutes per MNIST epoch on two CPU cores.
   */
  public static NetworkSpec cnnTeacher(int classes) {
    return new NetworkSpec(
        CNN_TEACHER,
        MNIST_SHAPE,
        convBlocks(32, 64),
        List.of(new Flatten(), new Dense(256), new BatchNormalization(BN_EPS), new Relu(), new DropoutLayer(0.3f)),
        classes);
  }

  /** Student CNN: conv8-bn-relu-pool, conv16-bn-relu-pool, dense64-relu. About 52 K parameters. */
  public static NetworkSpec cnnStudent(int classes) {
    return new NetworkSpec(
        CNN_STUDENT, MNIST_SHAPE, convBlocks(8, 16), List.of(new Flatten(), new Dense(64), new Relu()), classes);
  }

  /**
   * Hinton's teacher: 784-1200-1200 MLP with dropout (0.2 on the input, 0.5 on hidden units). The
   * input dropout is the features stage: a DJL SequentialBlock cannot be empty, so an MLP's
   * features stage holds one dropout layer (identity at inference, dropped on export).
   */
  public static NetworkSpec mlpTeacher(int classes) {
    return new NetworkSpec(
        MLP_TEACHER,
        MNIST_SHAPE,
        List.of(new DropoutLayer(0.2f)),
        List.of(
            new Flatten(),
            new Dense(1200),
            new Relu(),
            new DropoutLayer(0.5f),
            new Dense(1200),
            new Relu(),
            new DropoutLayer(0.5f)),
        classes);
  }

  /**
   * Hinton's student: 784-800-800 MLP, no regularization (its features stage is a rate-0 dropout,
   * i.e. the identity, because a DJL SequentialBlock cannot be empty).
   */
  public static NetworkSpec mlpStudent(int classes) {
    return new NetworkSpec(
        MLP_STUDENT,
        MNIST_SHAPE,
        List.of(new DropoutLayer(0f)),
        List.of(new Flatten(), new Dense(800), new Relu(), new Dense(800), new Relu()),
        classes);
  }

  /**
   * Int8-friendly CNN: conv16 5x5/2-bn-relu (14x14), conv32-bn-relu-pool (7x7), dense128-relu. The
   * wider first layer replaces the 1-channel 3x3 conv (a 9-element reduction that is slower as
   * QLinearConv than in fp32) with a 25-element one at a quarter of the positions.
   */
  public static NetworkSpec cnnWide(int classes) {
    return new NetworkSpec(CNN_WIDE, MNIST_SHAPE,
        List.of(new Conv(16, 5, 2, 2), new BatchNormalization(BN_EPS), new Relu(),
            new Conv(32, 3, 1, 1), new BatchNormalization(BN_EPS), new Relu(), new MaxPool(2, 2)),
        List.of(new Flatten(), new Dense(128), new Relu()), classes);
  }

  /** Gemm-heavy: conv32 4x4/4-bn-relu (patches, 7x7x32), dense128-relu. About 0.2 M parameters. */
  public static NetworkSpec cnnPatch(int classes) {
    return new NetworkSpec(CNN_PATCH, MNIST_SHAPE,
        List.of(new Conv(32, 4, 4, 0), new BatchNormalization(BN_EPS), new Relu()),
        List.of(new Flatten(), new Dense(128), new Relu()), classes);
  }

  /** Gemm-heavy: conv8-bn-relu-pool (14x14x8), dense256-relu. About 0.4 M parameters. */
  public static NetworkSpec cnnGemm(int classes) {
    return new NetworkSpec(CNN_GEMM, MNIST_SHAPE,
        List.of(new Conv(8, 3, 1, 1), new BatchNormalization(BN_EPS), new Relu(), new MaxPool(2, 2)),
        List.of(new Flatten(), new Dense(256), new Relu()), classes);
  }

  /**
   * Global-average-pooling CNN: conv16-bn-relu-pool (14x14), conv32-bn-relu, conv32-bn-relu, global
   * average pool, dense64-relu. About 16 K parameters; Grad-CAM's last conv layer is 14x14.
   */
  public static NetworkSpec cnnGap(int classes) {
    return new NetworkSpec(CNN_GAP, MNIST_SHAPE,
        List.of(new Conv(16, 3, 1, 1), new BatchNormalization(BN_EPS), new Relu(), new MaxPool(2, 2),
            new Conv(32, 3, 1, 1), new BatchNormalization(BN_EPS), new Relu(),
            new Conv(32, 3, 1, 1), new BatchNormalization(BN_EPS), new Relu(), new GlobalAveragePool()),
        List.of(new Flatten(), new Dense(64), new Relu()), classes);
  }

  /** The smaller MLP student: 784-300-100 (relu), no regularization (identity features stage, as in {@link #mlpStudent}). */
  public static NetworkSpec mlpSmall(int classes) {
    return new NetworkSpec(MLP_SMALL, MNIST_SHAPE, List.of(new DropoutLayer(0f)),
        List.of(new Flatten(), new Dense(300), new Relu(), new Dense(100), new Relu()), classes);
  }

  /** {@link #DEFAULT_STUDENT} for {@code classes} classes. */
  public static NetworkSpec defaultStudent(int classes) {
    return byName(DEFAULT_STUDENT, classes);
  }

  /** The students of the precision study (docs/benchmarks-precision.md), cheapest-to-serve last. */
  public static List<String> students() {
    return List.of(CNN_STUDENT, CNN_WIDE, CNN_PATCH, CNN_GEMM, MLP_STUDENT, MLP_SMALL);
  }

  /** All names {@link #byName} knows. */
  public static List<String> names() {
    return List.of(CNN_TEACHER, CNN_STUDENT, MLP_TEACHER, MLP_STUDENT, CNN_WIDE, CNN_PATCH, CNN_GEMM, CNN_GAP, MLP_SMALL);
  }

  /**
   * The architecture with this name.
   *
   * @throws IllegalArgumentException for an unknown name
   */
  public static NetworkSpec byName(String name, int classes) {
    return switch (name.toLowerCase(Locale.ROOT)) {
      case CNN_TEACHER -> cnnTeacher(classes);
      case CNN_STUDENT -> cnnStudent(classes);
      case MLP_TEACHER -> mlpTeacher(classes);
      case MLP_STUDENT -> mlpStudent(classes);
      case CNN_WIDE -> cnnWide(classes);
      case CNN_PATCH -> cnnPatch(classes);
      case CNN_GEMM -> cnnGemm(classes);
      case CNN_GAP -> cnnGap(classes);
      case MLP_SMALL -> mlpSmall(classes);
      default -> throw new IllegalArgumentException("unknown architecture '" + name + "' (known: " + names() + ")");
    };
  }

  /**
   * Number of trainable parameters (weights, biases, batch-norm gamma/beta; not running
   * statistics), computed from the spec alone.
   */
  public static long parameterCount(NetworkSpec spec) {
    List<Integer> shape = new ArrayList<>(spec.inputShape());
    long total = 0;
    for (List<LayerSpec> stage : spec.stages()) {
      for (LayerSpec layer : stage) {
        if (layer instanceof Conv c) {
          total += (long) c.filters() * shape.get(0) * c.kernel() * c.kernel() + c.filters();
          int h = (shape.get(1) + 2 * c.padding() - c.kernel()) / c.stride() + 1;
          int w = (shape.get(2) + 2 * c.padding() - c.kernel()) / c.stride() + 1;
          shape = new ArrayList<>(List.of(c.filters(), h, w));
        } else if (layer instanceof MaxPool p) {
          shape = new ArrayList<>(
              List.of(shape.get(0), (shape.get(1) - p.kernel()) / p.stride() + 1, (shape.get(2) - p.kernel()) / p.stride() + 1));
        } else if (layer instanceof GlobalAveragePool) {
          shape = new ArrayList<>(List.of(shape.get(0), 1, 1));
        } else if (layer instanceof Flatten) {
          int n = 1;
          for (int d : shape) {
            n *= d;
          }
          shape = new ArrayList<>(List.of(n));
        } else if (layer instanceof Dense d) {
          total += (long) d.units() * shape.get(0) + d.units();
          shape = new ArrayList<>(List.of(d.units()));
        } else if (layer instanceof BatchNormalization) {
          total += 2L * shape.get(0);
        }
      }
    }
    return total;
  }

  private static List<LayerSpec> convBlocks(int first, int second) {
    List<LayerSpec> layers = new ArrayList<>();
    for (int filters : new int[] {first, second}) {
      layers.add(new Conv(filters, 3, 1, 1));
      layers.add(new BatchNormalization(BN_EPS));
      layers.add(new Relu());
      layers.add(new MaxPool(2, 2));
    }
    return layers;
  }
}
