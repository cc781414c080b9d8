package dev.osprey.explain;

import dev.osprey.model.publish.PublishedNetwork;
import dev.osprey.model.registry.FileRoles;
import dev.osprey.model.registry.Lineage;
import dev.osprey.model.registry.ModelDraft;
import dev.osprey.model.registry.ModelRegistry;
import dev.osprey.model.registry.ModelVersion;
import dev.osprey.model.runtime.DjlNetwork;
import dev.osprey.model.onnx.OnnxExporter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** Publishes {@link TrainedDigits}' network (fp32 + int8 ONNX + the DJL parameters) as a registry version. */
public final class PublishedDigits {
  public static final String NAME = "digits";
  public static final List<String> LABELS = List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9");

  private PublishedDigits() {}

  /** Publishes one more version of {@link #NAME} (the same weights each time). */
  public static ModelVersion publish(ModelRegistry registry, Path work) throws Exception {
    // the shared trained model: wrapped, never closed here
    DjlNetwork net = DjlNetwork.of(TrainedDigits.SPEC, TrainedDigits.model());
    Path dir = Files.createDirectories(Files.createTempDirectory(work, "publish"));
    Path fp32 = Files.write(dir.resolve("model.fp32.onnx"), new OnnxExporter().export(net.spec(), net.block()).toByteArray());
    Path int8 = Files.write(dir.resolve("model.int8.onnx"), TrainedDigits.int8());
    ModelDraft.Builder draft = ModelDraft.builder().setName(NAME).setInput(TrainedDigits.INPUT).setLabels(LABELS)
        .setFile(FileRoles.FP32_ONNX, fp32).setFile(FileRoles.INT8_ONNX, int8)
        .optLineage(new Lineage(Map.of(), "fixture", 3, List.of(), 0));
    return registry.publish(PublishedNetwork.addTo(draft, net, Map.of(), dir).build());
  }
}
