package dev.osprey.cli;

import dev.osprey.core.config.ConfigSource;
import dev.osprey.core.config.OspreyConfig;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A command's own flags applied as config keys over {@link CommonOptions}: a flag outranks every
 * other source, and one left unset (null) leaves its key to the config file, environment or default.
 */
public final class ConfigFlags {
  private final Map<String, String> merged;

  ConfigFlags(ConfigSource common) {
    this.merged = new LinkedHashMap<>(common.asMap());
  }

  /** Sets {@code key} to {@code value}'s text, or leaves it alone when the flag was not given. */
  public ConfigFlags set(String key, Object value) {
    if (value != null) {
      merged.put(key, value.toString());
    }
    return this;
  }

  public OspreyConfig config() {
    return OspreyConfig.from(ConfigSource.of(merged));
  }
}
