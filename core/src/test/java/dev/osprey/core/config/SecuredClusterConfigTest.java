package dev.osprey.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.regex.Pattern;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The secured-cluster example in docs/configuration.md, parsed as a real Kafka client would. */
class SecuredClusterConfigTest {
  private static final String SECRET_PATH = "/etc/osprey/secret.properties";

  private static String docsExample() throws Exception {
    String md = Files.readString(Path.of("..", "docs", "configuration.md"));
    var m = Pattern.compile("## Example: a secured cluster.*?```properties\\n(.*?)\\n```", Pattern.DOTALL).matcher(md);
    assertTrue(m.find(), "docs/configuration.md has a secured-cluster properties block");
    return m.group(1);
  }

  private static Properties clientProperties(String propertiesText, Path dir) throws Exception {
    Path file = dir.resolve("osprey.properties");
    Files.writeString(file, propertiesText);
    ConfigSource source = ConfigSource.load(Optional.of(file), Map.of(), Map.of());
    Properties p = KafkaSettings.from(source).clientProperties();
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    return p;
  }

  @Test
  void theDocumentedExampleResolvesThePasswordFromTheSecretFile(@TempDir Path dir) throws Exception {
    Path secret = dir.resolve("secret.properties");
    Files.writeString(secret, "password=s3cr3t-from-file\n");
    String example = docsExample();
    assertTrue(example.contains(SECRET_PATH), "the example reads its password from " + SECRET_PATH);
    Properties props = clientProperties(example.replace(SECRET_PATH, secret.toString()), dir);

    ProducerConfig config = new ProducerConfig(props);
    String jaas = config.getPassword("sasl.jaas.config").value();
    assertTrue(jaas.contains("password=\"s3cr3t-from-file\""), "resolved: " + jaas.replaceAll("password=\"[^\"]*\"", "password=<hidden>"));
    assertFalse(jaas.contains("${file:"), "the placeholder is gone");
    assertEquals("SASL_SSL", config.getString("security.protocol"));
    assertEquals("SCRAM-SHA-512", config.getString("sasl.mechanism"));
  }

  /** The bug the docs had: without declared providers the client gets the literal placeholder. */
  @Test
  void withoutDeclaredProvidersThePlaceholderIsPassedLiterally(@TempDir Path dir) throws Exception {
    Path secret = dir.resolve("secret.properties");
    Files.writeString(secret, "password=s3cr3t-from-file\n");
    String withoutProviders = docsExample().lines()
        .filter(l -> !l.startsWith("kafka.config.providers"))
        .reduce("", (a, b) -> a + b + "\n")
        .replace(SECRET_PATH, secret.toString());
    ProducerConfig config = new ProducerConfig(clientProperties(withoutProviders, dir));
    assertTrue(config.getPassword("sasl.jaas.config").value().contains("${file:"));
  }
}
