package dev.osprey.core.service;

import java.util.Objects;

/**
 * A service's health: {@link Status#UP} is alive (its threads run), {@link Status#READY} is alive
 * and able to do its job (e.g. a model is loaded); {@code detail} says why it is not, or is empty.
 */
public record Health(Status status, String detail) {
  /** Where a service stands. */
  public enum Status {
    /** Not started yet, or starting. */
    STARTING,
    /** Running, but not ready to serve yet. */
    UP,
    /** Running and ready. */
    READY,
    /** Failed: a thread died or a client was fenced; {@code detail} says which. */
    DOWN,
    /** Closed. */
    CLOSED
  }

  public Health {
    Objects.requireNonNull(status, "status");
    detail = detail == null ? "" : detail;
  }

  public static Health of(Status status) {
    return new Health(status, "");
  }

  /** Its threads run ({@code /health}). */
  public boolean live() {
    return status == Status.UP || status == Status.READY;
  }

  /** It can do its job ({@code /ready}). */
  public boolean ready() {
    return status == Status.READY;
  }
}
