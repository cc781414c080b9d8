package dev.osprey.model.onnx;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import java.util.List;

/**
 * Builders for ONNX nodes, attributes and value infos. Tribuo's operator enum lacks MatMul, Relu
 * and the QDQ operators, so nodes are built from their op-type strings here.
 */
public final class OnnxNodes {
  /** Opset the exporter and quantizer target (per-axis QuantizeLinear/DequantizeLinear needs >= 13). */
  public static final int OPSET = 17;

  private OnnxNodes() {}

  /** A node; attributes are appended with the {@code attr*} helpers. */
  public static NodeProto.Builder node(String opType, String name, List<String> inputs, List<String> outputs) {
    return NodeProto.newBuilder().setOpType(opType).setName(name).addAllInput(inputs).addAllOutput(outputs);
  }

  public static AttributeProto ints(String name, long... values) {
    AttributeProto.Builder b = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS);
    for (long v : values) {
      b.addInts(v);
    }
    return b.build();
  }

  public static AttributeProto intAttr(String name, long value) {
    return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT).setI(value).build();
  }

  /**
   * A float tensor value info; a null or non-positive dimension becomes the symbolic dimension
   * named in {@code symbolic} (the dynamic batch "N").
   */
  public static ValueInfoProto floatTensor(String name, String symbolic, long... dims) {
    TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
    for (long d : dims) {
      if (d <= 0) {
        shape.addDim(TensorShapeProto.Dimension.newBuilder().setDimParam(symbolic));
      } else {
        shape.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(d));
      }
    }
    TypeProto type = TypeProto.newBuilder()
        .setTensorType(TypeProto.Tensor.newBuilder().setElemType(TensorProto.DataType.FLOAT.getNumber()).setShape(shape))
        .build();
    return ValueInfoProto.newBuilder().setName(name).setType(type).build();
  }

  /** A float tensor value info of unknown shape (used to expose intermediate tensors). */
  public static ValueInfoProto floatTensorAnyShape(String name) {
    TypeProto type = TypeProto.newBuilder()
        .setTensorType(TypeProto.Tensor.newBuilder().setElemType(TensorProto.DataType.FLOAT.getNumber()))
        .build();
    return ValueInfoProto.newBuilder().setName(name).setType(type).build();
  }

  /** The attribute {@code name} of a node, or {@code fallback} when absent. */
  public static long intAttribute(NodeProto node, String name, long fallback) {
    for (AttributeProto a : node.getAttributeList()) {
      if (a.getName().equals(name)) {
        return a.getI();
      }
    }
    return fallback;
  }
}
