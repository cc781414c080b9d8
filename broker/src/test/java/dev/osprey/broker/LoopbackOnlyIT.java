package dev.osprey.broker;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.osprey.core.kafka.TopicAdmin;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** Audits this JVM's TCP sockets (Linux /proc) while a broker and clients run: loopback only. */
class LoopbackOnlyIT {

  @Test
  void everySocketOfThisProcessIsLoopback() throws Exception {
    Assumptions.assumeTrue(Files.isDirectory(Path.of("/proc/self/fd")), "needs Linux /proc to list sockets");
    try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(EmbeddedKafkaBroker.Config.ephemeral())) {
      var props = new java.util.Properties();
      props.put("bootstrap.servers", broker.bootstrapServers());
      try (TopicAdmin admin = new TopicAdmin(props)) {
        admin.createAll(dev.osprey.core.topic.Topics.defaults(), 1, (short) 1);
      }
      try (var p = new KafkaProducer<>(props, new StringSerializer(), new StringSerializer())) {
        p.send(new ProducerRecord<>("osprey.samples", "k", "v")).get();
        List<String> sockets = tcpSocketsOfThisProcess();
        assertFalse(sockets.isEmpty(), "expected open TCP sockets while the broker runs");
        for (String s : sockets) {
          assertTrue(s.matches("127\\.\\d+\\.\\d+\\.\\d+:\\d+ -> (127\\.\\d+\\.\\d+\\.\\d+|0\\.0\\.0\\.0):\\d+"),
              "non-loopback socket: " + s);
        }
      }
    }
  }

  /** "local -> remote" for each IPv4/IPv6 TCP socket whose inode this process holds. */
  static List<String> tcpSocketsOfThisProcess() throws IOException {
    Set<String> inodes = new HashSet<>();
    try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
      for (Path fd : (Iterable<Path>) fds::iterator) {
        try {
          String target = Files.readSymbolicLink(fd).toString();
          if (target.startsWith("socket:[")) {
            inodes.add(target.substring(8, target.length() - 1));
          }
        } catch (IOException ignored) {
          // fd closed while listing
        }
      }
    }
    List<String> out = new ArrayList<>();
    for (String table : new String[] {"/proc/self/net/tcp", "/proc/self/net/tcp6"}) {
      Path p = Path.of(table);
      if (!Files.exists(p)) {
        continue;
      }
      for (String line : Files.readAllLines(p).subList(1, Files.readAllLines(p).size())) {
        String[] f = line.trim().split("\\s+");
        if (inodes.contains(f[9])) {
          out.add(addr(f[1]) + " -> " + addr(f[2]));
        }
      }
    }
    return out;
  }

  /** Decodes /proc/net/tcp hex "0100007F:1F90"; IPv4-mapped IPv6 is reduced to IPv4. */
  static String addr(String hex) {
    String[] parts = hex.split(":");
    String ip = parts[0];
    int port = Integer.parseInt(parts[1], 16);
    if (ip.length() == 32) {
      if (ip.equals("00000000000000000000000001000000")) {
        return "127.0.0.1:" + port; // ::1
      }
      if (ip.startsWith("0000000000000000FFFF0000")) {
        ip = ip.substring(24);
      } else if (ip.equals("00000000000000000000000000000000")) {
        return "0.0.0.0:" + port;
      } else {
        return ip + ":" + port;
      }
    }
    long v = Long.parseLong(ip, 16);
    return (v & 0xFF) + "." + ((v >> 8) & 0xFF) + "." + ((v >> 16) & 0xFF) + "." + ((v >> 24) & 0xFF) + ":" + port;
  }
}
