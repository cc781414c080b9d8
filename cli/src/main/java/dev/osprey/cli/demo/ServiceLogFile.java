package dev.osprey.cli.demo;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.filter.ThresholdFilter;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.FileAppender;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends the services' log lines to a file while the demo runs and keeps only warnings and errors on
 * the console, so the terminal shows the demo's own account of what happens (its steps, the
 * progress bars, the report) and the full log is one file away. Closing restores the console.
 */
public final class ServiceLogFile implements AutoCloseable {
  private final ch.qos.logback.classic.Logger root;
  private final FileAppender<ILoggingEvent> file;
  private final List<Appender<ILoggingEvent>> quieted = new ArrayList<>();
  private final ThresholdFilter warnings = new ThresholdFilter();

  private ServiceLogFile(ch.qos.logback.classic.Logger root, FileAppender<ILoggingEvent> file) {
    this.root = root;
    this.file = file;
  }

  /**
   * Starts writing every log line to {@code path} (appending) and filters the root logger's other
   * appenders to WARN and above. Without logback behind SLF4J it does nothing and says so.
   */
  public static ServiceLogFile open(Path path) {
    if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
      throw new IllegalStateException("the service log needs logback behind SLF4J, found "
          + LoggerFactory.getILoggerFactory().getClass().getName());
    }
    PatternLayoutEncoder encoder = new PatternLayoutEncoder();
    encoder.setContext(context);
    encoder.setPattern("%d{HH:mm:ss.SSS} %-5level [%thread] %logger{36} - %msg%n");
    encoder.start();
    FileAppender<ILoggingEvent> file = new FileAppender<>();
    file.setContext(context);
    file.setName("osprey-service-log");
    file.setFile(path.toAbsolutePath().toString());
    file.setAppend(true);
    file.setEncoder(encoder);
    file.start();
    ch.qos.logback.classic.Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
    ServiceLogFile log = new ServiceLogFile(root, file);
    log.warnings.setLevel(Level.WARN.toString());
    log.warnings.setContext(context);
    log.warnings.start();
    for (Iterator<Appender<ILoggingEvent>> it = root.iteratorForAppenders(); it.hasNext(); ) {
      Appender<ILoggingEvent> a = it.next();
      a.addFilter(log.warnings);
      log.quieted.add(a);
    }
    root.addAppender(file);
    return log;
  }

  /** The file's path. */
  public Path path() {
    return Path.of(file.getFile());
  }

  @Override
  public void close() {
    root.detachAppender(file);
    file.stop();
    // logback has no removeFilter: clear and re-add the others (the console has none by default)
    for (Appender<ILoggingEvent> a : quieted) {
      var others = new ArrayList<>(a.getCopyOfAttachedFiltersList());
      others.remove(warnings);
      a.clearAllFilters();
      others.forEach(a::addFilter);
    }
  }
}
