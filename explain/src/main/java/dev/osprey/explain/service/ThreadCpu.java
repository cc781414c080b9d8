package dev.osprey.explain.service;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.function.LongSupplier;

/** The calling thread's CPU time, for the explain service's {@code CpuBudget}. */
public final class ThreadCpu {
  private ThreadCpu() {}

  /**
   * The calling thread's CPU time in nanoseconds ({@link ThreadMXBean#getCurrentThreadCpuTime()});
   * where the JVM cannot measure it, the monotonic wall clock (an upper bound of the CPU a
   * single thread uses), so a budget still holds.
   */
  public static LongSupplier current() {
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    if (threads.isCurrentThreadCpuTimeSupported()) {
      if (!threads.isThreadCpuTimeEnabled()) {
        threads.setThreadCpuTimeEnabled(true);
      }
      return threads::getCurrentThreadCpuTime;
    }
    return System::nanoTime;
  }
}
