package dev.osprey.model.plan;

import java.util.List;

/**
 * What one plan measured on one host.
 *
 * @param plan plan name
 * @param accuracy top-1 accuracy on the reference set
 * @param agreement top-1 agreement with the fp32 graph on the reference set
 * @param samplesPerSecond median over the alternating rounds, at the serving batch size
 * @param minSamplesPerSecond the slowest round
 * @param bytes size of the plan's ONNX file
 * @param fp32Nodes nodes this plan keeps in fp32 although their type is quantized
 */
public record PlanFigures(String plan, double accuracy, double agreement, double samplesPerSecond,
    double minSamplesPerSecond, long bytes, List<String> fp32Nodes) {
  public PlanFigures {
    fp32Nodes = List.copyOf(fp32Nodes == null ? List.of() : fp32Nodes);
  }
}
