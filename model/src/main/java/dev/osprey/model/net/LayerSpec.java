package dev.osprey.model.net;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Blocks;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.norm.Dropout;
import ai.djl.nn.pooling.Pool;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;

/**
 * One layer of a {@link NetworkSpec}. The spec, not the DJL block, is the source of truth for
 * what a layer is: DJL's activations and pools are opaque lambda blocks, so the ONNX exporter
 * walks the spec and the built block side by side (child {@code i} of a stage is layer {@code i}).
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
  @JsonSubTypes.Type(value = LayerSpec.Conv.class, name = "conv"),
  @JsonSubTypes.Type(value = LayerSpec.BatchNormalization.class, name = "batchnorm"),
  @JsonSubTypes.Type(value = LayerSpec.Relu.class, name = "relu"),
  @JsonSubTypes.Type(value = LayerSpec.MaxPool.class, name = "maxpool"),
  @JsonSubTypes.Type(value = LayerSpec.Flatten.class, name = "flatten"),
  @JsonSubTypes.Type(value = LayerSpec.Dense.class, name = "dense"),
  @JsonSubTypes.Type(value = LayerSpec.DropoutLayer.class, name = "dropout"),
  @JsonSubTypes.Type(value = LayerSpec.GlobalAveragePool.class, name = "globalavgpool"),
})
public sealed interface LayerSpec {

  /** The DJL block for this layer (fresh, uninitialized parameters). */
  Block toBlock();

  /** 2-D convolution, square kernel; DJL parameters "weight" [out, in, k, k] and "bias" [out]. */
  record Conv(int filters, int kernel, int stride, int padding) implements LayerSpec {
    public Conv {
      if (filters <= 0 || kernel <= 0 || stride <= 0 || padding < 0) {
        throw new IllegalArgumentException("invalid conv " + filters + "/" + kernel + "/" + stride + "/" + padding);
      }
    }

    @Override
    public Block toBlock() {
      return Conv2d.builder()
          .setFilters(filters)
          .setKernelShape(new Shape(kernel, kernel))
          .optStride(new Shape(stride, stride))
          .optPadding(new Shape(padding, padding))
          .build();
    }
  }

  /**
   * Batch normalization over axis 1 (channels or features); DJL parameters "gamma", "beta",
   * "runningMean", "runningVar". Folded into the preceding conv/dense layer on export.
   */
  record BatchNormalization(float epsilon) implements LayerSpec {
    public static final float DEFAULT_EPSILON = 1e-5f;

    @Override
    public Block toBlock() {
      return BatchNorm.builder().optEpsilon(epsilon).build();
    }
  }

  record Relu() implements LayerSpec {
    @Override
    public Block toBlock() {
      return Activation.reluBlock();
    }
  }

  /** Max pooling, square kernel and stride, no padding. */
  record MaxPool(int kernel, int stride) implements LayerSpec {
    @Override
    public Block toBlock() {
      return Pool.maxPool2dBlock(new Shape(kernel, kernel), new Shape(stride, stride));
    }
  }

  /**
   * Global average pooling: the mean of each channel over its positions, [N, C, H, W] to
   * [N, C, 1, 1]. A CNN that ends its features with it keeps no position past the last conv, so
   * its class evidence has to be local (Zhou et al.'s CAM architecture, ResNet's head).
   */
  record GlobalAveragePool() implements LayerSpec {
    @Override
    public Block toBlock() {
      return Pool.globalAvgPool2dBlock();
    }
  }

  /** Flattens everything after the batch dimension. */
  record Flatten() implements LayerSpec {
    @Override
    public Block toBlock() {
      return Blocks.batchFlattenBlock();
    }
  }

  /** Fully connected layer; DJL parameters "weight" [units, in] and "bias" [units]. */
  record Dense(int units) implements LayerSpec {
    public Dense {
      if (units <= 0) {
        throw new IllegalArgumentException("dense units must be > 0, got " + units);
      }
    }

    @Override
    public Block toBlock() {
      return Linear.builder().setUnits(units).build();
    }
  }

  /** Dropout (identity at inference; dropped on export). */
  record DropoutLayer(float rate) implements LayerSpec {
    @Override
    public Block toBlock() {
      return Dropout.builder().optRate(rate).build();
    }
  }
}
