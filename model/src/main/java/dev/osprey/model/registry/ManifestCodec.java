package dev.osprey.model.registry;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import dev.osprey.core.event.EventCodec;
import java.io.IOException;

/**
 * Reads and writes {@code manifest.json} with Osprey's one JSON mapper ({@link EventCodec}).
 * Encoding is deterministic (maps are sorted); decoding rejects unknown schema versions before
 * binding anything. Thread-safe.
 */
public final class ManifestCodec {
  private final ObjectMapper mapper;
  private final ObjectWriter writer;

  public ManifestCodec() {
    this(new EventCodec());
  }

  public ManifestCodec(EventCodec codec) {
    this.mapper = codec.mapper();
    this.writer = mapper.writerWithDefaultPrettyPrinter();
  }

  /** Pretty-printed UTF-8 JSON, with a trailing newline. */
  public byte[] encode(ModelManifest manifest) {
    try {
      return (writer.writeValueAsString(manifest) + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("cannot encode manifest of " + manifest.ref(), e);
    }
  }

  /**
   * Decodes a manifest.
   *
   * @param source what the bytes are, for the message (e.g. the file path)
   * @throws ModelLoadException for bytes that are not JSON, an unknown schemaVersion, or invalid fields
   */
  public ModelManifest decode(byte[] json, String source) throws ModelLoadException {
    JsonNode node;
    try {
      node = mapper.readTree(json);
    } catch (IOException e) {
      throw new ModelLoadException(source + " is not valid JSON: " + firstLine(e.getMessage()), e);
    }
    if (node == null || !node.isObject()) {
      throw new ModelLoadException(source + " is not a JSON object");
    }
    JsonNode schema = node.get("schemaVersion");
    if (schema == null || !schema.isIntegralNumber()) {
      throw new ModelLoadException(source + " has no integer schemaVersion");
    }
    if (schema.asInt() != ModelManifest.SCHEMA_VERSION) {
      throw new ModelLoadException(
          source + " has manifest schemaVersion " + schema.asInt() + ", this Osprey reads only "
              + ModelManifest.SCHEMA_VERSION);
    }
    try {
      return mapper.treeToValue(node, ModelManifest.class);
    } catch (IOException | IllegalArgumentException e) {
      Throwable root = e;
      while (root.getCause() != null && root.getCause() != root) {
        root = root.getCause();
      }
      throw new ModelLoadException(source + " is not a valid manifest: " + firstLine(root.getMessage()), e);
    }
  }

  private static String firstLine(String s) {
    return s == null ? "" : s.lines().findFirst().orElse("");
  }
}
