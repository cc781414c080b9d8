package dev.osprey.core.config;

/**
 * Where a service serves {@code /metrics}.
 *
 * @param host bind address; loopback by default so nothing is exposed unless asked
 * @param port TCP port; 0 picks a free one, -1 disables the endpoint
 */
public record MetricsSettings(String host, int port) {
  public MetricsSettings {
    if (host == null || host.isBlank()) {
      throw new IllegalArgumentException("metrics.host must not be empty");
    }
    if (port < -1 || port > 65535) {
      throw new IllegalArgumentException("metrics.port must be -1..65535, got " + port);
    }
  }

  public static MetricsSettings from(ConfigSource config, int defaultPort) {
    return new MetricsSettings(config.get("metrics.host", "127.0.0.1"), config.getInt("metrics.port", defaultPort));
  }

  public boolean enabled() {
    return port >= 0;
  }
}
