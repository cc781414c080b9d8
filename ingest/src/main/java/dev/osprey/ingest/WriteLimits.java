package dev.osprey.ingest;

import dev.osprey.core.topic.Topics;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.StreamsConfig;

/**
 * The largest record, in {@link dev.osprey.core.kafka.RecordSize#upperBound} bytes, ingest may
 * write to each of its output topics: the smaller of the producer's {@code max.request.size} and
 * the topic's {@code max.message.bytes}. A record over it would be refused by the producer or the
 * broker, fail the transaction and be read again forever; ingest dead-letters it instead.
 *
 * @param samples limit of a valid sample's output record
 * @param feedback limit of a valid feedback's output record
 * @param dlq limit of a dead letter ({@link dev.osprey.core.service.DeadLetterHeaders#fit} cuts to it)
 */
public record WriteLimits(int samples, int feedback, int dlq) {
  /** Kafka's default producer {@code max.request.size}. */
  public static final int DEFAULT_MAX_REQUEST_SIZE = 1_048_576;
  /** Kafka's default broker {@code message.max.bytes}, the topics' default {@code max.message.bytes}. */
  public static final int DEFAULT_MAX_MESSAGE_BYTES = 1_048_588;
  /** Smallest limit accepted: a dead letter's reason and coordinates must always fit. */
  public static final int MIN_BYTES = 16 * 1024;

  /** @throws IllegalArgumentException naming the field when a limit is below {@link #MIN_BYTES} */
  public WriteLimits {
    require("samples", samples);
    require("feedback", feedback);
    require("dlq", dlq);
  }

  private static void require(String field, int value) {
    if (value < MIN_BYTES) {
      throw new IllegalArgumentException(field + " limit must be >= " + MIN_BYTES + " bytes, got " + value);
    }
  }

  /**
   * @param streamsConfig the Streams properties ({@code producer.max.request.size} or {@code max.request.size})
   * @param maxMessageBytes {@code max.message.bytes} by topic name; a missing topic counts as Kafka's default
   */
  public static WriteLimits of(Properties streamsConfig, Topics topics, Map<String, Integer> maxMessageBytes) {
    int request = maxRequestSize(streamsConfig);
    return new WriteLimits(
        Math.min(request, maxMessageBytes.getOrDefault(topics.samples().name(), DEFAULT_MAX_MESSAGE_BYTES)),
        Math.min(request, maxMessageBytes.getOrDefault(topics.feedback().name(), DEFAULT_MAX_MESSAGE_BYTES)),
        Math.min(request, maxMessageBytes.getOrDefault(topics.dlq().name(), DEFAULT_MAX_MESSAGE_BYTES)));
  }

  /** From the properties alone, every topic at Kafka's default (for topologies built without a broker). */
  public static WriteLimits of(Properties streamsConfig, Topics topics) {
    return of(streamsConfig, topics, Map.of());
  }

  /** The Streams producer's {@code max.request.size}: the producer-prefixed setting, else the plain one, else Kafka's default. */
  static int maxRequestSize(Properties streamsConfig) {
    Object v = streamsConfig.get(StreamsConfig.producerPrefix(ProducerConfig.MAX_REQUEST_SIZE_CONFIG));
    if (v == null) {
      v = streamsConfig.get(ProducerConfig.MAX_REQUEST_SIZE_CONFIG);
    }
    if (v == null) {
      return DEFAULT_MAX_REQUEST_SIZE;
    }
    try {
      return Integer.parseInt(v.toString().trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("max.request.size must be an integer, got '" + v + "'", e);
    }
  }
}
