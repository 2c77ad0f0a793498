package io.streaminfer.pipeline.batch;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * An input record waiting in a batch buffer, exactly as it was read: original key and value bytes,
 * headers, timestamp and source position. Kept in a changelogged store so that a crash between
 * consuming a record and running its batch loses nothing. Immutable.
 *
 * @param topic source topic
 * @param partition source partition
 * @param offset source offset
 * @param timestamp record timestamp (ms)
 * @param key original key bytes, or null
 * @param value original value bytes, or null
 * @param headers original headers
 */
public record BufferedRecord(
    String topic,
    int partition,
    long offset,
    long timestamp,
    byte[] key,
    byte[] value,
    Headers headers) {

  /** Versioned binary serde for buffer stores and their changelogs. */
  public static final class StoreSerde
      implements Serde<BufferedRecord>, Serializer<BufferedRecord>, Deserializer<BufferedRecord> {
    private static final byte VERSION = 1;

    @Override
    public byte[] serialize(String topic, BufferedRecord r) {
      if (r == null) {
        return null;
      }
      ByteArrayOutputStream bytes =
          new ByteArrayOutputStream(64 + (r.value == null ? 0 : r.value.length));
      try (DataOutputStream out = new DataOutputStream(bytes)) {
        out.writeByte(VERSION);
        out.writeUTF(r.topic);
        out.writeInt(r.partition);
        out.writeLong(r.offset);
        out.writeLong(r.timestamp);
        writeBytes(out, r.key);
        writeBytes(out, r.value);
        Header[] hs = r.headers == null ? new Header[0] : r.headers.toArray();
        out.writeInt(hs.length);
        for (Header h : hs) {
          out.writeUTF(h.key());
          writeBytes(out, h.value());
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return bytes.toByteArray();
    }

    @Override
    public BufferedRecord deserialize(String topic, byte[] data) {
      if (data == null) {
        return null;
      }
      try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(data))) {
        byte v = in.readByte();
        if (v != VERSION) {
          throw new SerializationException(
              "buffered record version " + v + " unknown (expected " + VERSION + ")");
        }
        String topic0 = in.readUTF();
        int partition = in.readInt();
        long offset = in.readLong();
        long ts = in.readLong();
        byte[] key = readBytes(in);
        byte[] value = readBytes(in);
        int n = in.readInt();
        List<Header> hs = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
          hs.add(new RecordHeader(in.readUTF(), readBytes(in)));
        }
        return new BufferedRecord(topic0, partition, offset, ts, key, value, new RecordHeaders(hs));
      } catch (IOException e) {
        throw new SerializationException("corrupt buffered record", e);
      }
    }

    private static void writeBytes(DataOutputStream out, byte[] b) throws IOException {
      out.writeInt(b == null ? -1 : b.length);
      if (b != null) {
        out.write(b);
      }
    }

    private static byte[] readBytes(DataInputStream in) throws IOException {
      int n = in.readInt();
      return n < 0 ? null : in.readNBytes(n);
    }

    @Override
    public void configure(java.util.Map<String, ?> configs, boolean isKey) {
      // no settings
    }

    @Override
    public void close() {
      // nothing to release
    }

    @Override
    public Serializer<BufferedRecord> serializer() {
      return this;
    }

    @Override
    public Deserializer<BufferedRecord> deserializer() {
      return this;
    }
  }
}
