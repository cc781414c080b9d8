package dev.osprey.cli.models;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.osprey.core.event.EventCodec;
import dev.osprey.model.plan.HostProfile;
import dev.osprey.model.registry.ManifestCodec;
import dev.osprey.model.registry.ModelLoadException;
import dev.osprey.model.registry.ModelManifest;
import dev.osprey.model.registry.ModelRef;
import dev.osprey.model.registry.ModelRegistry;
import dev.osprey.model.registry.Verification;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.OptionalInt;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code osprey models show NAME[:VERSION]}: the manifest, its precision plans in short, then a hash check of every file. */
@Command(name = "show", mixinStandardHelpOptions = true,
    description = "Print a version's manifest and verify its files' SHA-256; exits 1 if it is missing or corrupt.")
public final class ShowModelCommand implements Callable<Integer> {
  @Mixin RegistryOption registry;
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "NAME[:VERSION]", converter = RefConverter.class,
      description = "Model name, optionally with a version (default: latest).")
  ModelRef ref;

  @Option(names = "--full", description = "Print the reference profile's softmax and embedding samples too.")
  boolean full;

  @Override
  public Integer call() throws IOException {
    ModelRegistry reg = registry.open();
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    int version;
    if (ref.version() != null) {
      version = ref.version();
    } else {
      OptionalInt latest = reg.latest(ref.name());
      if (latest.isEmpty()) {
        err.println("no model named '" + ref.name() + "' in registry " + reg.root());
        return ModelsCommand.MODEL_ERROR;
      }
      version = latest.getAsInt();
    }
    ModelManifest manifest;
    try {
      manifest = reg.manifest(ref.name(), version);
    } catch (ModelLoadException e) {
      err.println(e.getMessage());
      return ModelsCommand.MODEL_ERROR;
    }
    out.println(render(manifest));
    PlanSummary.lines(manifest, HostProfile.current()).forEach(out::println);
    Verification v = reg.verify(ref.name(), version);
    if (!v.ok()) {
      out.flush();
      err.println("model " + v.ref() + " is CORRUPT or incomplete:");
      v.problems().forEach(p -> err.println("  " + p));
      return ModelsCommand.MODEL_ERROR;
    }
    out.println("verified: " + v.filesChecked() + " files, size and sha256 match the manifest");
    return 0;
  }

  private String render(ModelManifest manifest) throws IOException {
    EventCodec codec = new EventCodec();
    JsonNode tree = codec.mapper().readTree(new ManifestCodec(codec).encode(manifest));
    if (!full && tree.get("reference") instanceof ObjectNode reference) {
      // Sample rows are for drift detectors, not people: show how many there are.
      for (String field : new String[] {"softmaxSample", "embeddingSample"}) {
        reference.put(field, "<" + reference.get(field).size() + " rows, --full to print>");
      }
    }
    return codec.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(tree);
  }

  static final class RefConverter implements picocli.CommandLine.ITypeConverter<ModelRef> {
    @Override
    public ModelRef convert(String value) {
      return ModelRef.parse(value);
    }
  }
}
