package dev.osprey.trainer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.osprey.core.djl.DjlOfflineGuard;
import dev.osprey.model.registry.Lineage;
import dev.osprey.model.registry.ModelRegistry;
import dev.osprey.model.runtime.DjlNetwork;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * A network a recipe has trained, with how it was made; and the one owner of the <b>trained
 * directory</b> it is saved as: {@code model-NNNN.params} (DJL parameters), {@code training.json}
 * ({@link TrainingRecord}, including the spec, input spec and labels) and {@code curves.png}.
 * Closing it closes the network.
 *
 * @param network the trained DJL network
 * @param record how it was trained
 */
public record TrainedModel(DjlNetwork network, TrainingRecord record) implements AutoCloseable {
  public static final String PARAMS_PREFIX = "model";
  public static final String RECORD_FILE = "training.json";
  public static final String CURVES_FILE = "curves.png";

  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /** @throws IllegalArgumentException if the record describes another network */
  public TrainedModel {
    if (!network.spec().equals(record.spec())) {
      throw new IllegalArgumentException("record of " + record.spec().name() + " does not describe network " + network.spec().name());
    }
  }

  /**
   * Loads a trained directory written by {@link #save}.
   *
   * @throws IOException if files are missing or the parameters do not match the spec
   */
  public static TrainedModel load(Path dir) throws IOException {
    DjlOfflineGuard.requireActive();
    TrainingRecord record = readRecord(dir);
    return new TrainedModel(DjlNetwork.load(record.spec(), dir, PARAMS_PREFIX), record);
  }

  /**
   * The {@code training.json} of a trained directory, without loading the network.
   *
   * @throws IOException if it is missing or unreadable
   */
  public static TrainingRecord readRecord(Path dir) throws IOException {
    Path json = dir.resolve(RECORD_FILE);
    if (!Files.isRegularFile(json)) {
      throw new IOException("not a trained model directory (no " + RECORD_FILE + "): " + dir);
    }
    return JSON.readValue(json.toFile(), TrainingRecord.class);
  }

  /**
   * A trained directory as a distillation teacher, without its path: the directory's name and the
   * SHA-256 of its parameters, so a student's lineage says which teacher it learned from.
   *
   * @throws IOException if the directory has no parameters
   */
  public static Lineage.Teacher teacherIdentity(Path dir) throws IOException {
    Path params;
    try (Stream<Path> files = Files.list(dir)) {
      params = files.filter(p -> p.getFileName().toString().startsWith(PARAMS_PREFIX + "-") && p.getFileName().toString().endsWith(".params"))
          .max(Comparator.naturalOrder())
          .orElseThrow(() -> new IOException("no " + PARAMS_PREFIX + "-*.params in " + dir));
    }
    return Lineage.Teacher.ofDirectory(dir.toAbsolutePath().normalize().getFileName().toString(), ModelRegistry.sha256(params));
  }

  /** Writes parameters, {@code training.json} and (when there is history) {@code curves.png} into {@code dir}. */
  public void save(Path dir) throws IOException {
    network.save(dir, PARAMS_PREFIX);
    JSON.writeValue(dir.resolve(RECORD_FILE).toFile(), record);
    if (!record.history().isEmpty()) {
      TrainingCurves.save(record, dir.resolve(CURVES_FILE));
    }
  }

  @Override
  public void close() {
    network.close();
  }
}
