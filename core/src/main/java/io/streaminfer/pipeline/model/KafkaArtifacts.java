package io.streaminfer.pipeline.model;

import io.streaminfer.models.ModelLoadException;
import io.streaminfer.models.card.ModelArtifact;
import io.streaminfer.models.card.ModelRepository;
import io.streaminfer.pipeline.config.StreamInferConfig;
import io.streaminfer.schemas.ArtifactChunk;
import io.streaminfer.schemas.ArtifactFile;
import io.streaminfer.schemas.ArtifactManifest;
import io.streaminfer.schemas.serde.AvroSerdes;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Model versions published into Kafka itself, so that instances on machines without a shared
 * filesystem load byte-identical files: every regular file of the version directory is cut into
 * chunks of {@value #CHUNK_BYTES} bytes (under the broker's default 1 MB message limit) on the
 * compacted, one-partition artifacts topic, then a manifest lists each file's size, sha256 and
 * chunk offsets. A control record names the manifest by its offset ({@code kafka:<offset>}); an
 * instance reads exactly those records, checks every file's sha256, and keeps the version under its
 * artifact cache ({@code <cache>/<sha256>/<name>/<version>/}), where a later deploy of the same
 * version finds it. Compaction never removes a chunk (each key is written once) and never moves an
 * offset. Stateless.
 */
public final class KafkaArtifacts {
  /** Bytes per chunk. */
  public static final int CHUNK_BYTES = 512 * 1024;

  /** How a control record's {@code artifact} names a published version. */
  public static final String PREFIX = "kafka:";

  private KafkaArtifacts() {}

  /**
   * Publishes verified version {@code a} to {@code topic} and returns the {@code artifact} value of
   * a control record that names it ({@code kafka:<manifest offset>}). Refuses a version over {@code
   * maxBytes}.
   */
  public static String publish(Properties client, String topic, ModelArtifact a, long maxBytes) {
    Path dir = a.directory();
    List<Path> files;
    try (Stream<Path> walk = Files.walk(dir)) {
      files = walk.filter(Files::isRegularFile).sorted().toList();
    } catch (IOException e) {
      throw new ModelLoadException("cannot list " + dir + ": " + e, e);
    }
    long total = 0;
    for (Path f : files) {
      total += size(f);
    }
    if (total > maxBytes) {
      throw new ModelLoadException(
          dir
              + " holds "
              + total
              + " bytes, over model.artifacts.max.bytes ("
              + maxBytes
              + "); raise it or serve the version from a shared volume (--artifact)");
    }
    Properties p = StreamInferConfig.only(client, ProducerConfig.configNames());
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1); // chunks in offset order
    var chunks = AvroSerdes.serde(ArtifactChunk.class).serializer();
    var manifests = AvroSerdes.serde(ArtifactManifest.class).serializer();
    String sha = a.card().sha256();
    try (KafkaProducer<String, byte[]> producer =
        new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
      List<ArtifactFile> listed = new ArrayList<>();
      for (Path f : files) {
        String rel = dir.relativize(f).toString().replace('\\', '/');
        List<Future<RecordMetadata>> sent = new ArrayList<>();
        try (InputStream in = Files.newInputStream(f)) {
          byte[] buf = new byte[CHUNK_BYTES];
          for (int i = 0; ; i++) {
            int n = in.readNBytes(buf, 0, buf.length);
            if (n == 0 && i > 0) {
              break;
            }
            ArtifactChunk c =
                ArtifactChunk.newBuilder()
                    .setFile(rel)
                    .setIndex(i)
                    .setData(ByteBuffer.wrap(java.util.Arrays.copyOf(buf, n)))
                    .build();
            sent.add(
                producer.send(
                    new ProducerRecord<>(
                        topic,
                        0,
                        "chunk/" + sha + "/" + rel + "/" + i,
                        chunks.serialize(topic, c))));
            if (n < buf.length) {
              break;
            }
          }
        }
        List<Long> offsets = new ArrayList<>();
        for (Future<RecordMetadata> s : sent) {
          offsets.add(s.get(120, TimeUnit.SECONDS).offset());
        }
        listed.add(
            ArtifactFile.newBuilder()
                .setFile(rel)
                .setSize(size(f))
                .setSha256(ModelRepository.sha256(f))
                .setOffsets(offsets)
                .build());
      }
      ArtifactManifest m =
          ArtifactManifest.newBuilder()
              .setName(a.card().name())
              .setVersion(a.card().version())
              .setSha256(sha)
              .setFiles(listed)
              .build();
      String key = "manifest/" + a.card().name() + "/" + a.card().version() + "/" + sha;
      long offset =
          producer
              .send(new ProducerRecord<>(topic, 0, key, manifests.serialize(topic, m)))
              .get(120, TimeUnit.SECONDS)
              .offset();
      return PREFIX + offset;
    } catch (IOException e) {
      throw new ModelLoadException("cannot read " + dir + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted publishing " + dir, e);
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException(
          "cannot publish "
              + dir
              + " to "
              + topic
              + ": "
              + (e.getCause() == null ? e : e.getCause()),
          e);
    }
  }

  /**
   * The version directory of published artifact {@code artifact} ({@code kafka:<offset>}) under
   * {@code cache}: reused when a verified copy is there, else read from {@code topic} (every file's
   * sha256 checked, at most {@code maxBytes} in all) and moved into place. Throws {@link
   * ModelLoadException} naming the record or file when anything is missing or does not match.
   */
  public static Path fetch(
      Properties client,
      String topic,
      String artifact,
      Path cache,
      long maxBytes,
      Duration timeout) {
    long manifestOffset;
    try {
      manifestOffset = Long.parseLong(artifact.substring(PREFIX.length()));
    } catch (NumberFormatException e) {
      throw new ModelLoadException(
          "artifact '" + artifact + "' is not kafka:<offset of its manifest on " + topic + ">");
    }
    Properties p = StreamInferConfig.forConsumer(client);
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    TopicPartition tp = new TopicPartition(topic, 0);
    try (KafkaConsumer<String, byte[]> consumer =
        new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer())) {
      consumer.assign(List.of(tp));
      long begin = consumer.beginningOffsets(List.of(tp), timeout).get(tp);
      long end = consumer.endOffsets(List.of(tp), timeout).get(tp);
      if (manifestOffset < begin || manifestOffset >= end) {
        throw new ModelLoadException(
            artifact
                + ": "
                + topic
                + " holds offsets "
                + begin
                + " to "
                + (end - 1)
                + ", no manifest at "
                + manifestOffset);
      }
      Reader reader = new Reader(consumer, tp, System.nanoTime() + timeout.toNanos());
      reader.seek(manifestOffset);
      ConsumerRecord<String, byte[]> mr = reader.next();
      if (mr.offset() != manifestOffset || mr.key() == null || !mr.key().startsWith("manifest/")) {
        throw new ModelLoadException(
            topic + " offset " + manifestOffset + " holds no artifact manifest (" + artifact + ")");
      }
      ArtifactManifest m =
          AvroSerdes.serde(ArtifactManifest.class).deserializer().deserialize(topic, mr.value());
      if (!m.getName().matches("[a-z0-9][a-z0-9._-]*")
          || !m.getVersion().matches("[0-9]+")
          || !m.getSha256().matches("[0-9a-f]{64}")) {
        throw new ModelLoadException(
            artifact
                + ": the manifest names "
                + m.getName()
                + ":"
                + m.getVersion()
                + " ("
                + m.getSha256()
                + "), not a model name, version and sha256");
      }
      long total = m.getFiles().stream().mapToLong(ArtifactFile::getSize).sum();
      if (total > maxBytes) {
        throw new ModelLoadException(
            artifact
                + " ("
                + m.getName()
                + ":"
                + m.getVersion()
                + ") holds "
                + total
                + " bytes, over model.artifacts.max.bytes ("
                + maxBytes
                + ")");
      }
      Path target = cache.resolve(m.getSha256()).resolve(m.getName()).resolve(m.getVersion());
      if (complete(target, m)) {
        return target;
      }
      Path incoming = cache.resolve(m.getSha256()).resolve(".incoming-" + UUID.randomUUID());
      Path dir = incoming.resolve(m.getName()).resolve(m.getVersion());
      Map<Long, ArtifactFile> fileAt = new HashMap<>();
      Map<Long, Integer> indexAt = new HashMap<>();
      long first = Long.MAX_VALUE;
      long last = -1;
      for (ArtifactFile f : m.getFiles()) {
        for (int i = 0; i < f.getOffsets().size(); i++) {
          long o = f.getOffsets().get(i);
          fileAt.put(o, f);
          indexAt.put(o, i);
          first = Math.min(first, o);
          last = Math.max(last, o);
        }
      }
      Map<String, OutputStream> out = new LinkedHashMap<>();
      try {
        Files.createDirectories(dir);
        for (ArtifactFile f : m.getFiles()) {
          Path file = safe(dir, f.getFile(), artifact);
          Files.createDirectories(file.getParent());
          out.put(f.getFile(), Files.newOutputStream(file));
        }
        var chunks = AvroSerdes.serde(ArtifactChunk.class).deserializer();
        if (last >= 0) {
          int received = 0;
          reader.seek(first);
          for (long next = first; next <= last; ) {
            ConsumerRecord<String, byte[]> r = reader.next();
            next = r.offset() + 1;
            ArtifactFile f = fileAt.get(r.offset());
            if (f == null) {
              continue;
            }
            ArtifactChunk c = chunks.deserialize(topic, r.value());
            if (!c.getFile().equals(f.getFile()) || c.getIndex() != indexAt.get(r.offset())) {
              throw new ModelLoadException(
                  topic
                      + " offset "
                      + r.offset()
                      + " holds "
                      + c.getFile()
                      + "#"
                      + c.getIndex()
                      + ", but the manifest of "
                      + artifact
                      + " lists "
                      + f.getFile()
                      + "#"
                      + indexAt.get(r.offset())
                      + " there");
            }
            ByteBuffer data = c.getData();
            byte[] bytes = new byte[data.remaining()];
            data.get(bytes);
            out.get(f.getFile()).write(bytes);
            received++;
          }
          if (received != fileAt.size()) {
            throw new ModelLoadException(
                artifact + ": " + (fileAt.size() - received) + " chunks missing from " + topic);
          }
        }
        for (OutputStream o : out.values()) {
          o.close();
        }
        out.clear();
        for (ArtifactFile f : m.getFiles()) {
          Path file = dir.resolve(f.getFile());
          String sha = ModelRepository.sha256(file);
          if (!sha.equals(f.getSha256())) {
            throw new ModelLoadException(
                file
                    + " from "
                    + artifact
                    + " has sha256 "
                    + sha
                    + ", its manifest says "
                    + f.getSha256());
          }
        }
        Files.createDirectories(target.getParent());
        try {
          Files.move(dir, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (java.nio.file.FileAlreadyExistsException
            | java.nio.file.DirectoryNotEmptyException there) {
          if (!complete(target, m)) { // a stale or partial copy: replace it
            delete(target);
            Files.move(dir, target, StandardCopyOption.ATOMIC_MOVE);
          } // else another fetch of the same version finished first: keep it
        }
        return target;
      } catch (IOException e) {
        throw new ModelLoadException("cannot write " + artifact + " into " + dir + ": " + e, e);
      } finally {
        for (OutputStream o : out.values()) {
          try {
            o.close();
          } catch (IOException ignored) {
            // already failing
          }
        }
        delete(incoming);
      }
    }
  }

  /** Whether {@code dir} holds every file of {@code m} with its sha256. */
  private static boolean complete(Path dir, ArtifactManifest m) {
    if (!Files.isDirectory(dir)) {
      return false;
    }
    for (ArtifactFile f : m.getFiles()) {
      Path file = dir.resolve(f.getFile());
      if (!Files.isRegularFile(file) || !ModelRepository.sha256(file).equals(f.getSha256())) {
        return false;
      }
    }
    return true;
  }

  /** {@code dir/rel}, refusing a path that leaves {@code dir}. */
  private static Path safe(Path dir, String rel, String artifact) {
    Path base = dir.toAbsolutePath().normalize();
    Path p = base.resolve(rel).normalize();
    if (!p.startsWith(base) || p.equals(base) || rel.isEmpty()) {
      throw new ModelLoadException(artifact + " lists a file outside its directory: " + rel);
    }
    return p;
  }

  /** Reads the artifacts partition from a position, record by record. */
  private static final class Reader {
    private final KafkaConsumer<String, byte[]> consumer;
    private final TopicPartition tp;
    private final long deadline;
    private java.util.Iterator<ConsumerRecord<String, byte[]>> pending;

    Reader(KafkaConsumer<String, byte[]> consumer, TopicPartition tp, long deadline) {
      this.consumer = consumer;
      this.tp = tp;
      this.deadline = deadline;
    }

    void seek(long offset) {
      consumer.seek(tp, offset);
      pending = null;
    }

    ConsumerRecord<String, byte[]> next() {
      while (pending == null || !pending.hasNext()) {
        if (System.nanoTime() > deadline) {
          throw new ModelLoadException("timed out reading a model artifact from " + tp.topic());
        }
        var records = consumer.poll(Duration.ofMillis(200));
        pending = records.isEmpty() ? null : records.iterator();
      }
      return pending.next();
    }
  }

  private static long size(Path f) {
    try {
      return Files.size(f);
    } catch (IOException e) {
      throw new ModelLoadException("cannot read " + f + ": " + e, e);
    }
  }

  private static void delete(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path f : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(f);
      }
    } catch (IOException ignored) {
      // a leftover .incoming-* directory: harmless (never read), removable by hand
    }
  }
}
