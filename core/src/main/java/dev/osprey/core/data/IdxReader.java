package dev.osprey.core.data;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/**
 * Reads IDX files (the MNIST / Fashion-MNIST format), raw or gzip-compressed (detected by magic
 * bytes, not by file name). Only unsigned-byte element type (0x08) is supported, which is what
 * these datasets use.
 */
public final class IdxReader {
  private IdxReader() {}

  /** An IDX array: its dimensions and its unsigned bytes, row-major. */
  public record IdxArray(int[] dims, byte[] data) {
    public int count() {
      return dims[0];
    }

    /** Elements per item (product of dims after the first). */
    public int itemSize() {
      int n = 1;
      for (int i = 1; i < dims.length; i++) {
        n *= dims[i];
      }
      return n;
    }
  }

  /**
   * @throws IOException if the file is missing, truncated or not IDX
   */
  public static IdxArray read(Path file) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      return read(in, file.toString());
    }
  }

  public static IdxArray read(InputStream raw, String name) throws IOException {
    BufferedInputStream in = new BufferedInputStream(raw, 1 << 16);
    in.mark(2);
    int b0 = in.read();
    int b1 = in.read();
    in.reset();
    InputStream src = (b0 == 0x1f && b1 == 0x8b) ? new GZIPInputStream(in, 1 << 16) : in;
    DataInputStream data = new DataInputStream(src);
    int magic;
    try {
      magic = data.readInt();
    } catch (EOFException e) {
      throw new IOException(name + ": empty file, not IDX");
    }
    if ((magic >>> 16) != 0 || ((magic >>> 8) & 0xFF) != 0x08) {
      throw new IOException(name + ": not an unsigned-byte IDX file (magic 0x" + Integer.toHexString(magic) + ")");
    }
    int rank = magic & 0xFF;
    if (rank < 1 || rank > 4) {
      throw new IOException(name + ": unsupported IDX rank " + rank);
    }
    int[] dims = new int[rank];
    long total = 1;
    for (int i = 0; i < rank; i++) {
      dims[i] = data.readInt();
      if (dims[i] < 0) {
        throw new IOException(name + ": negative dimension " + dims[i]);
      }
      total *= dims[i];
    }
    if (total > Integer.MAX_VALUE) {
      throw new IOException(name + ": too large (" + total + " elements)");
    }
    byte[] bytes = new byte[(int) total];
    try {
      data.readFully(bytes);
    } catch (EOFException e) {
      throw new IOException(name + ": truncated, expected " + total + " data bytes");
    }
    return new IdxArray(dims, bytes);
  }
}
