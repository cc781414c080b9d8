package dev.osprey.cli.models;

import dev.osprey.model.registry.ModelLoadException;
import dev.osprey.model.registry.ModelManifest;
import dev.osprey.model.registry.ModelRef;
import dev.osprey.model.registry.ModelRegistry;
import dev.osprey.model.registry.Verification;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code osprey models list}: one row per version, with its files' hashes checked. */
@Command(name = "list", mixinStandardHelpOptions = true,
    description = "List every model version: name, version, created, accuracy, whether its files verify.")
public final class ListModelsCommand implements Callable<Integer> {
  @Mixin RegistryOption registry;
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    ModelRegistry reg = registry.open();
    PrintWriter out = spec.commandLine().getOut();
    List<ModelRef> refs = reg.list();
    if (refs.isEmpty()) {
      out.println("no models in " + reg.root());
      return 0;
    }
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"NAME", "VERSION", "CREATED", "ACCURACY", "FILES"});
    for (ModelRef ref : refs) {
      String created = "-";
      String accuracy = "-";
      try {
        ModelManifest m = reg.manifest(ref.name(), ref.version());
        created = m.created().toString();
        double acc = m.metric("accuracy");
        accuracy = Double.isNaN(acc) ? "-" : String.format(Locale.ROOT, "%.4f", acc);
      } catch (ModelLoadException e) {
        // Reported in the FILES column by verify().
      }
      Verification v = reg.verify(ref.name(), ref.version());
      String files = v.ok() ? "ok (" + v.filesChecked() + ")" : "CORRUPT: " + v.problems().get(0);
      rows.add(new String[] {ref.name(), Integer.toString(ref.version()), created, accuracy, files});
    }
    printTable(out, rows);
    out.flush();
    return 0;
  }

  static void printTable(PrintWriter out, List<String[]> rows) {
    int cols = rows.get(0).length;
    int[] width = new int[cols];
    for (String[] r : rows) {
      for (int c = 0; c < cols; c++) {
        width[c] = Math.max(width[c], r[c].length());
      }
    }
    for (String[] r : rows) {
      StringBuilder line = new StringBuilder();
      for (int c = 0; c < cols; c++) {
        line.append(c == cols - 1 ? r[c] : String.format(Locale.ROOT, "%-" + width[c] + "s  ", r[c]));
      }
      out.println(line.toString().stripTrailing());
    }
  }
}
