package dev.osprey.broker;

import dev.osprey.core.kafka.TopicAdmin;
import dev.osprey.core.topic.Topics;
import java.io.IOException;
import java.util.Properties;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * JUnit 5 extension giving a test class a real single-node Kafka broker on 127.0.0.1 (free port,
 * temp dir), started before all tests and closed after them.
 *
 * <pre>{@code @RegisterExtension static final KafkaBrokerExtension kafka = new KafkaBrokerExtension();}</pre>
 *
 * <p>It lives in this module's test-jar, so JUnit and the broker never reach a production jar. A
 * module whose tests need it declares, both at test scope, {@code osprey-broker} (the broker and
 * Kafka's server on the test classpath) and {@code osprey-broker} with {@code <type>test-jar</type>}.
 */
public final class KafkaBrokerExtension implements BeforeAllCallback, AfterAllCallback {
  private EmbeddedKafkaBroker broker;

  @Override
  public void beforeAll(ExtensionContext context) throws IOException {
    broker = EmbeddedKafkaBroker.start(EmbeddedKafkaBroker.Config.ephemeral());
  }

  @Override
  public void afterAll(ExtensionContext context) {
    if (broker != null) {
      broker.close();
      broker = null;
    }
  }

  public EmbeddedKafkaBroker broker() {
    if (broker == null) {
      throw new IllegalStateException("broker not started: register the extension as a static field");
    }
    return broker;
  }

  public String bootstrapServers() {
    return broker().bootstrapServers();
  }

  /** A fresh Properties with bootstrap.servers set. */
  public Properties clientProperties() {
    Properties p = new Properties();
    p.put("bootstrap.servers", bootstrapServers());
    return p;
  }

  /** Creates every catalogue topic with the given partitions. */
  public void createTopics(Topics topics, int partitions) throws InterruptedException, TimeoutException {
    try (TopicAdmin admin = new TopicAdmin(clientProperties())) {
      admin.createAll(topics, partitions, (short) 1);
    }
  }
}
