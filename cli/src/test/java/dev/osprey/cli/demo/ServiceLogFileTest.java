package dev.osprey.cli.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

class ServiceLogFileTest {
  private static final Logger LOG = LoggerFactory.getLogger("dev.osprey.test.ServiceLogFileTest");

  @Test
  void everyLineGoesToTheFileAndOnlyWarningsToTheConsoleUntilClosed(@TempDir Path dir) throws Exception {
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    ch.qos.logback.classic.Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
    ListAppender<ILoggingEvent> console = new ListAppender<>();
    console.setContext(context);
    console.start();
    root.addAppender(console);
    // the test's logback configuration may keep INFO off; the CLI's has it on
    ch.qos.logback.classic.Logger logger = context.getLogger(LOG.getName());
    logger.setLevel(ch.qos.logback.classic.Level.INFO);
    try {
      Path file = dir.resolve("demo.log");
      try (ServiceLogFile log = ServiceLogFile.open(file)) {
        assertEquals(file.toAbsolutePath(), log.path());
        LOG.info("a service's info line");
        LOG.warn("a service's warning");
      }
      LOG.info("after the demo");
      String written = Files.readString(file);
      assertTrue(written.contains("a service's info line") && written.contains("a service's warning"), written);
      assertTrue(!written.contains("after the demo"), written);
      List<String> seen = console.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
      assertEquals(List.of("a service's warning", "after the demo"), seen);
    } finally {
      logger.setLevel(null);
      root.detachAppender(console);
    }
  }
}
