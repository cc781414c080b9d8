package dev.osprey.core.config;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;

/**
 * Flat configuration as dotted keys ({@code kafka.bootstrap.servers}), merged from, lowest
 * precedence first: built-in defaults, a properties file, {@code OSPREY_*} environment variables
 * ({@code OSPREY_KAFKA_BOOTSTRAP_SERVERS} -> {@code kafka.bootstrap.servers}), then command-line
 * flags. Typed config records read from it and validate their own values.
 */
public final class ConfigSource {
  public static final String ENV_PREFIX = "OSPREY_";

  private final Map<String, String> values;

  private ConfigSource(Map<String, String> values) {
    this.values = Map.copyOf(values);
  }

  /**
   * @param file properties file, if any
   * @param env the environment (pass {@code System.getenv()})
   * @param flags values given on the command line, highest precedence
   * @throws IOException if the file is given but unreadable
   */
  public static ConfigSource load(Optional<Path> file, Map<String, String> env, Map<String, String> flags)
      throws IOException {
    Map<String, String> merged = new TreeMap<>();
    if (file.isPresent()) {
      Properties p = new Properties();
      try (Reader r = Files.newBufferedReader(file.get())) {
        p.load(r);
      } catch (IOException e) {
        throw new IOException("cannot read config file " + file.get() + ": " + e.getMessage(), e);
      }
      p.stringPropertyNames().forEach(k -> merged.put(k.trim(), p.getProperty(k).trim()));
    }
    env.forEach((k, v) -> {
      if (k.startsWith(ENV_PREFIX) && !k.equals("OSPREY_CONFIG")) {
        merged.put(envToKey(k), v);
      }
    });
    merged.putAll(flags);
    return new ConfigSource(merged);
  }

  /** A source holding exactly these values (tests, embedded use). */
  public static ConfigSource of(Map<String, String> values) {
    return new ConfigSource(values);
  }

  /** {@code OSPREY_KAFKA_SASL_JAAS_CONFIG} -> {@code kafka.sasl.jaas.config}. */
  static String envToKey(String env) {
    return env.substring(ENV_PREFIX.length()).toLowerCase(Locale.ROOT).replace('_', '.');
  }

  public Optional<String> get(String key) {
    return Optional.ofNullable(values.get(key));
  }

  public String get(String key, String fallback) {
    return values.getOrDefault(key, fallback);
  }

  /**
   * @throws IllegalArgumentException naming the key and value when it is not an integer
   */
  public int getInt(String key, int fallback) {
    String v = values.get(key);
    if (v == null) {
      return fallback;
    }
    try {
      return Integer.parseInt(v.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("config '" + key + "' must be an integer, got '" + v + "'");
    }
  }

  /**
   * @throws IllegalArgumentException naming the key and value when it is not an integer
   */
  public long getLong(String key, long fallback) {
    String v = values.get(key);
    if (v == null) {
      return fallback;
    }
    try {
      return Long.parseLong(v.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("config '" + key + "' must be an integer, got '" + v + "'");
    }
  }

  /**
   * {@code true} or {@code false}, case-insensitive.
   *
   * @throws IllegalArgumentException naming the key and value for anything else
   */
  public boolean getBoolean(String key, boolean fallback) {
    String v = values.get(key);
    if (v == null) {
      return fallback;
    }
    String t = v.trim().toLowerCase(Locale.ROOT);
    if (!t.equals("true") && !t.equals("false")) {
      throw new IllegalArgumentException("config '" + key + "' must be true or false, got '" + v + "'");
    }
    return t.equals("true");
  }

  /**
   * An ISO-8601 duration ({@code PT10M}, {@code PT0.005S}).
   *
   * @throws IllegalArgumentException naming the key and value when it does not parse
   */
  public Duration getDuration(String key, Duration fallback) {
    String v = values.get(key);
    if (v == null) {
      return fallback;
    }
    try {
      return Duration.parse(v.trim());
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException("config '" + key + "' must be an ISO-8601 duration like PT10M, got '" + v + "'");
    }
  }

  /** Every key under {@code prefix.}, with the prefix removed. */
  public Map<String, String> withPrefix(String prefix) {
    String p = prefix.endsWith(".") ? prefix : prefix + ".";
    Map<String, String> out = new TreeMap<>();
    values.forEach((k, v) -> {
      if (k.startsWith(p)) {
        out.put(k.substring(p.length()), v);
      }
    });
    return out;
  }

  public Map<String, String> asMap() {
    return values;
  }
}
