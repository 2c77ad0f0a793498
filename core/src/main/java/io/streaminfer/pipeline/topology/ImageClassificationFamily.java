package io.streaminfer.pipeline.topology;

import io.streaminfer.models.card.Task;
import io.streaminfer.models.preprocess.ImageInput;
import io.streaminfer.models.runtime.OnnxModel;
import io.streaminfer.models.task.BatchTask;
import io.streaminfer.models.task.ImageClassifier;
import io.streaminfer.pipeline.config.Route;
import io.streaminfer.pipeline.config.RouteKeys;
import io.streaminfer.pipeline.dlq.ErrorCode;
import io.streaminfer.pipeline.dlq.RejectedEventException;
import io.streaminfer.schemas.Classification;
import io.streaminfer.schemas.ImageEvent;
import java.nio.ByteBuffer;

/** Image classification: {@link ImageEvent} (PNG, JPEG or raw pixels) → {@link Classification}. */
public final class ImageClassificationFamily extends ClassificationFamily<ImageEvent, ImageInput> {
  /** The family (found through ServiceLoader). */
  public ImageClassificationFamily() {
    super(
        Task.IMAGE_CLASSIFICATION,
        ImageEvent.class,
        ImageClassifier.class,
        RouteKeys.MAX_BYTES,
        RouteKeys.MAX_DECODED_BYTES);
  }

  @Override
  public BatchTask<?, ?, ?> newTask(OnnxModel model) {
    return new ImageClassifier(model);
  }

  @Override
  PredictionProcessor.EventReader<ImageEvent, ImageInput> reader(Route route) {
    int maxBytes = route.limits().maxBytes();
    long maxDecoded = route.limits().maxDecodedBytes();
    return new PredictionProcessor.EventReader<>(
        ImageEvent::getId,
        ImageEvent::getEventTime,
        ImageEvent::getLabel,
        e -> input(e, maxBytes, maxDecoded));
  }

  /**
   * The model input of {@code e}; refuses payloads over {@code maxBytes} and raw images without
   * dimensions.
   */
  static ImageInput input(ImageEvent e, int maxBytes, long maxDecodedBytes) {
    ByteBuffer b = e.getData();
    if (b.remaining() > maxBytes) {
      throw new RejectedEventException(
          ErrorCode.PAYLOAD_TOO_LARGE,
          "",
          "image payload of " + b.remaining() + " bytes exceeds the route's max.bytes=" + maxBytes);
    }
    byte[] data = new byte[b.remaining()];
    b.duplicate().get(data);
    ImageInput.Encoding enc = ImageInput.Encoding.valueOf(e.getEncoding().name());
    if (enc != ImageInput.Encoding.RAW_UINT8) {
      return new ImageInput(enc, data, 0, 0, 0, maxDecodedBytes);
    }
    if (e.getWidth() == null || e.getHeight() == null || e.getChannels() == null) {
      throw new RejectedEventException(
          ErrorCode.IMAGE_DIMENSIONS, "", "raw image needs width, height and channels");
    }
    return new ImageInput(enc, data, e.getWidth(), e.getHeight(), e.getChannels(), maxDecodedBytes);
  }
}
