package dev.osprey.model.registry;

/**
 * A model version cannot be used: it is missing, corrupt, incomplete, of an unknown manifest
 * schema, or (on import) not a classifier compatible with its declared input and labels. The
 * message names the version and the file at fault.
 */
public class ModelLoadException extends Exception {
  private static final long serialVersionUID = 1L;

  public ModelLoadException(String message) {
    super(message);
  }

  public ModelLoadException(String message, Throwable cause) {
    super(message, cause);
  }
}
