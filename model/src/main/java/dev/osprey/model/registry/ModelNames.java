package dev.osprey.model.registry;

import java.util.regex.Pattern;

/** The naming rules of the registry: names become directory and file names, so they are restricted. */
final class ModelNames {
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
  private static final Pattern ROLE = Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");

  private ModelNames() {}

  static String requireModelName(String field, String value) {
    if (value == null || !NAME.matcher(value).matches()) {
      throw new IllegalArgumentException(
          field + " must match " + NAME.pattern() + " (letters, digits, '.', '_', '-'), got '" + value + "'");
    }
    return value;
  }

  static String requireRole(String value) {
    if (value == null || !ROLE.matcher(value).matches()) {
      throw new IllegalArgumentException("file role must match " + ROLE.pattern() + ", got '" + value + "'");
    }
    return value;
  }

  static String requireFileName(String field, String value) {
    if (value == null || !NAME.matcher(value).matches() || value.equals(ModelRegistry.MANIFEST_FILE)) {
      throw new IllegalArgumentException(
          field + " must be a plain file name matching " + NAME.pattern() + " other than "
              + ModelRegistry.MANIFEST_FILE + ", got '" + value + "'");
    }
    return value;
  }
}
