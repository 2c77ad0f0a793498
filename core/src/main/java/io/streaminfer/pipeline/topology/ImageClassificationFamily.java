package io.streaminfer.pipeline.topology;

import io.streaminfer.models.card.Task;
import io.streaminfer.models.preprocess.ImageInput;
import io.streaminfer.models.runtime.OnnxModel;
import io.streaminfer.models.task.BatchTask;
import io.streaminfer.models.task.ImageClassifier;
import io.streaminfer.pipeline.batch.BatchSettings;
import io.streaminfer.pipeline.config.Route;
import io.streaminfer.pipeline.config.RouteKeys;
import io.streaminfer.pipeline.dlq.ErrorCode;
import io.streaminfer.pipeline.dlq.RejectedEventException;
import io.streaminfer.pipeline.metrics.PipelineMetrics;
import io.streaminfer.pipeline.model.ModelRegistry;
import io.streaminfer.schemas.Classification;
import io.streaminfer.schemas.ImageEvent;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.streams.processor.api.Processor;

/** Image classification: {@link ImageEvent} (PNG, JPEG or raw pixels) → {@link Classification}. */
public final class ImageClassificationFamily implements TaskFamily {
  @Override
  public Task task() {
    return Task.IMAGE_CLASSIFICATION;
  }

  @Override
  public Class<? extends SpecificRecord> eventType() {
    return ImageEvent.class;
  }

  @Override
  public Map<String, Class<? extends SpecificRecord>> outputs() {
    return Map.of(Route.OUTPUT, Classification.class);
  }

  @Override
  public Set<String> routeKeys() {
    return Set.of(RouteKeys.TOP_K, RouteKeys.MAX_BYTES);
  }

  @Override
  public BatchTask<?, ?, ?> newTask(OnnxModel model) {
    return new ImageClassifier(model);
  }

  @Override
  public Processor<byte[], byte[], Object, Object> processor(
      Route route,
      ModelRegistry models,
      BatchSettings batching,
      PipelineMetrics.RouteMetrics metrics) {
    return new ClassificationProcessor<>(
        route,
        batching,
        models,
        metrics,
        ImageClassifier.class,
        ImageEvent.class,
        new Reader(route.limits().maxBytes()));
  }

  /**
   * Reads an image event; refuses payloads over the route's max.bytes and raw images without
   * dimensions.
   */
  static final class Reader implements ClassificationProcessor.EventReader<ImageEvent, ImageInput> {
    private final int maxBytes;

    Reader(int maxBytes) {
      this.maxBytes = maxBytes;
    }

    @Override
    public String id(ImageEvent e) {
      return e.getId();
    }

    @Override
    public Instant eventTime(ImageEvent e) {
      return e.getEventTime();
    }

    @Override
    public String trueLabel(ImageEvent e) {
      return e.getLabel();
    }

    @Override
    public ImageInput input(ImageEvent e) {
      ByteBuffer b = e.getData();
      if (b.remaining() > maxBytes) {
        throw new RejectedEventException(
            ErrorCode.PAYLOAD_TOO_LARGE,
            "",
            "image payload of "
                + b.remaining()
                + " bytes exceeds the route's max.bytes="
                + maxBytes);
      }
      byte[] data = new byte[b.remaining()];
      b.duplicate().get(data);
      ImageInput.Encoding enc = ImageInput.Encoding.valueOf(e.getEncoding().name());
      if (enc != ImageInput.Encoding.RAW_UINT8) {
        return ImageInput.encoded(enc, data);
      }
      if (e.getWidth() == null || e.getHeight() == null || e.getChannels() == null) {
        throw new RejectedEventException(
            ErrorCode.IMAGE_DIMENSIONS, "", "raw image needs width, height and channels");
      }
      return new ImageInput(enc, data, e.getWidth(), e.getHeight(), e.getChannels());
    }
  }
}
