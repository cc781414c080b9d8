package dev.osprey.model.onnx;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import dev.osprey.model.net.LayerSpec;
import dev.osprey.model.net.NetworkSpec;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Exports a {@link NetworkSpec} with the trained parameters of its DJL block to an ONNX model.
 *
 * <p>Graph contract: input {@value #INPUT} float32 [N, ...inputShape], already normalized (the
 * {@code InputSpec} normalization stays outside the graph); outputs {@value #LOGITS} [N, classes]
 * and {@value #EMBEDDING} [N, embeddingSize]. Conv becomes Conv, Dense becomes Gemm (transB = 1,
 * DJL keeps weights as [units, in]), Relu, MaxPool, GlobalAveragePool and Flatten map one to one; a batch norm
 * directly after a conv/dense layer is folded into it ({@link BatchNormFold}); any other batch
 * norm becomes a BatchNormalization node; dropout disappears (identity at inference).
 *
 * <p>The spec is walked beside the block: {@code block.getChildren()} are the three stages and
 * child {@code i} of a stage is the block of layer {@code i}.
 */
public final class OnnxExporter {
  public static final String INPUT = "input";
  public static final String LOGITS = "logits";
  public static final String EMBEDDING = "embedding";
  static final String BATCH_DIM = "N";

  /**
   * Builds the ONNX model.
   *
   * @param spec the architecture
   * @param block the initialized block built from {@code spec}
   * @throws IllegalArgumentException if the block does not match the spec or is not initialized
   */
  public ModelProto export(NetworkSpec spec, Block block) {
    List<Pair<String, Block>> stages = block.getChildren().stream().toList();
    if (stages.size() != 3) {
      throw new IllegalArgumentException("block of " + spec.name() + " has " + stages.size() + " stages, expected 3");
    }
    GraphProto.Builder graph = GraphProto.newBuilder().setName(spec.name());
    long[] inDims = new long[spec.inputShape().size() + 1];
    inDims[0] = -1;
    for (int i = 0; i < spec.inputShape().size(); i++) {
      inDims[i + 1] = spec.inputShape().get(i);
    }
    graph.addInput(OnnxNodes.floatTensor(INPUT, BATCH_DIM, inDims));

    String current = INPUT;
    String[] stageNames = {"features", "embedding", "head"};
    for (int s = 0; s < 3; s++) {
      List<LayerSpec> layers = spec.stages().get(s);
      List<Block> layerBlocks = stages.get(s).getValue().getChildren().values();
      if (layerBlocks.size() != layers.size()) {
        throw new IllegalArgumentException(
            "stage " + stageNames[s] + " has " + layerBlocks.size() + " blocks but the spec lists " + layers.size() + " layers");
      }
      String finalName = s == 2 ? LOGITS : null;
      current = exportStage(graph, stageNames[s], layers, layerBlocks, current, finalName);
      if (s == 1) {
        graph.addNode(OnnxNodes.node("Identity", "embedding_out", List.of(current), List.of(EMBEDDING)));
        current = EMBEDDING;
      }
    }
    graph.addOutput(OnnxNodes.floatTensor(LOGITS, BATCH_DIM, -1, spec.classes()));
    graph.addOutput(OnnxNodes.floatTensor(EMBEDDING, BATCH_DIM, -1, spec.embeddingSize()));
    return ModelProto.newBuilder()
        .setIrVersion(8)
        .setProducerName("osprey")
        .setProducerVersion("1")
        .setModelVersion(1)
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(OnnxNodes.OPSET))
        .setGraph(graph)
        .build();
  }

  /** Exports and writes the model to {@code file}. */
  public void export(NetworkSpec spec, Block block, Path file) throws IOException {
    ModelProto model = export(spec, block);
    try (OutputStream out = Files.newOutputStream(file)) {
      model.writeTo(out);
    }
  }

  /** Returns the name of the stage's output tensor ({@code finalName} when given). */
  private static String exportStage(
      GraphProto.Builder graph, String stage, List<LayerSpec> layers, List<Block> blocks, String input, String finalName) {
    String current = input;
    int last = lastNonDropout(layers);
    for (int i = 0; i < layers.size(); i++) {
      LayerSpec layer = layers.get(i);
      String prefix = stage + "." + i;
      // the stage's final producing layer writes the requested output name directly
      int consumed = i;
      LayerSpec next = i + 1 < layers.size() ? layers.get(i + 1) : null;
      boolean foldNext = next instanceof LayerSpec.BatchNormalization
          && (layer instanceof LayerSpec.Conv || layer instanceof LayerSpec.Dense);
      if (foldNext) {
        consumed = i + 1;
      }
      boolean isLast = finalName != null && consumed >= last;
      String out = isLast ? finalName : prefix + "." + opName(layer);
      if (layer instanceof LayerSpec.DropoutLayer) {
        continue; // identity at inference
      } else if (layer instanceof LayerSpec.Conv c) {
        graph.addNode(weighted(graph, "Conv", prefix, current, out, blocks, i, foldNext ? next : null)
            .addAttribute(OnnxNodes.ints("kernel_shape", c.kernel(), c.kernel()))
            .addAttribute(OnnxNodes.ints("strides", c.stride(), c.stride()))
            .addAttribute(OnnxNodes.ints("pads", c.padding(), c.padding(), c.padding(), c.padding())));
      } else if (layer instanceof LayerSpec.Dense) {
        graph.addNode(weighted(graph, "Gemm", prefix, current, out, blocks, i, foldNext ? next : null)
            .addAttribute(OnnxNodes.intAttr("transB", 1)));
      } else if (layer instanceof LayerSpec.BatchNormalization bn) {
        Block b = blocks.get(i);
        String[] names = {"gamma", "beta", "runningMean", "runningVar"};
        String[] onnx = {"scale", "bias", "mean", "var"};
        for (int k = 0; k < 4; k++) {
          float[] v = param(b, names[k], prefix);
          graph.addInitializer(OnnxTensors.floats(prefix + "." + onnx[k], new long[] {v.length}, v));
        }
        graph.addNode(OnnxNodes.node("BatchNormalization", prefix,
                List.of(current, prefix + ".scale", prefix + ".bias", prefix + ".mean", prefix + ".var"), List.of(out))
            .addAttribute(AttributeProto.newBuilder().setName("epsilon")
                .setType(AttributeProto.AttributeType.FLOAT).setF(bn.epsilon())));
      } else if (layer instanceof LayerSpec.Relu) {
        graph.addNode(OnnxNodes.node("Relu", prefix, List.of(current), List.of(out)));
      } else if (layer instanceof LayerSpec.MaxPool p) {
        graph.addNode(OnnxNodes.node("MaxPool", prefix, List.of(current), List.of(out))
            .addAttribute(OnnxNodes.ints("kernel_shape", p.kernel(), p.kernel()))
            .addAttribute(OnnxNodes.ints("strides", p.stride(), p.stride())));
      } else if (layer instanceof LayerSpec.GlobalAveragePool) {
        graph.addNode(OnnxNodes.node("GlobalAveragePool", prefix, List.of(current), List.of(out)));
      } else if (layer instanceof LayerSpec.Flatten) {
        graph.addNode(OnnxNodes.node("Flatten", prefix, List.of(current), List.of(out))
            .addAttribute(OnnxNodes.intAttr("axis", 1)));
      } else {
        throw new IllegalArgumentException("layer " + prefix + " of kind " + layer + " cannot be exported");
      }
      current = out;
      i = consumed;
    }
    if (finalName != null && !current.equals(finalName)) {
      // a stage of only dropout layers (or empty): still name the output
      graph.addNode(OnnxNodes.node("Identity", stage + ".out", List.of(current), List.of(finalName)));
      current = finalName;
    }
    return current;
  }

  /** A Conv/Gemm node with its (optionally batch-norm-folded) weight and bias initializers. */
  private static NodeProto.Builder weighted(GraphProto.Builder graph, String op, String prefix, String in, String out,
      List<Block> blocks, int i, LayerSpec foldedBatchNorm) {
    float[][] wb = weightAndBias(blocks.get(i), prefix);
    long[] wDims = shape(blocks.get(i), "weight", prefix);
    if (foldedBatchNorm instanceof LayerSpec.BatchNormalization bn) {
      wb = fold(wb, blocks.get(i + 1), bn.epsilon(), prefix);
    }
    graph.addInitializer(OnnxTensors.floats(prefix + ".weight", wDims, wb[0]));
    graph.addInitializer(OnnxTensors.floats(prefix + ".bias", new long[] {wDims[0]}, wb[1]));
    return OnnxNodes.node(op, prefix, List.of(in, prefix + ".weight", prefix + ".bias"), List.of(out));
  }

  private static int lastNonDropout(List<LayerSpec> layers) {
    for (int i = layers.size() - 1; i >= 0; i--) {
      if (!(layers.get(i) instanceof LayerSpec.DropoutLayer)) {
        return i;
      }
    }
    return -1;
  }

  private static String opName(LayerSpec layer) {
    return layer.getClass().getSimpleName().toLowerCase(java.util.Locale.ROOT);
  }

  private static float[][] fold(float[][] wb, Block bn, float epsilon, String prefix) {
    BatchNormFold f = BatchNormFold.fold(wb[0], wb[1], param(bn, "gamma", prefix), param(bn, "beta", prefix),
        param(bn, "runningMean", prefix), param(bn, "runningVar", prefix), epsilon);
    return new float[][] {f.weight(), f.bias()};
  }

  private static float[][] weightAndBias(Block b, String prefix) {
    float[] w = param(b, "weight", prefix);
    long out = shape(b, "weight", prefix)[0];
    float[] bias = b.getParameters().contains("bias") ? param(b, "bias", prefix) : new float[(int) out];
    return new float[][] {w, bias};
  }

  private static float[] param(Block b, String name, String prefix) {
    return array(b, name, prefix).toFloatArray();
  }

  private static long[] shape(Block b, String name, String prefix) {
    return array(b, name, prefix).getShape().getShape();
  }

  private static NDArray array(Block b, String name, String prefix) {
    Parameter p = b.getParameters().get(name);
    if (p == null) {
      throw new IllegalArgumentException("layer " + prefix + " has no parameter '" + name + "' (block " + b + ")");
    }
    if (!p.isInitialized()) {
      throw new IllegalArgumentException("parameter " + prefix + "." + name + " is not initialized");
    }
    return p.getArray();
  }

  /** Convenience for tests and tools: the node op types in graph order. */
  public static List<String> opTypes(ModelProto model) {
    return model.getGraph().getNodeList().stream().map(NodeProto::getOpType).toList();
  }
}
