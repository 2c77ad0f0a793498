package io.streaminfer.pipeline.topology;

import io.streaminfer.models.task.BatchResult;
import io.streaminfer.models.task.ImageGenerator;
import io.streaminfer.pipeline.dlq.ErrorCode;
import io.streaminfer.pipeline.dlq.RejectedEventException;
import io.streaminfer.pipeline.model.ModelRegistry;
import io.streaminfer.schemas.GeneratedImage;
import io.streaminfer.schemas.GenerationRequest;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * Runs a generation request: {@code samples} images of the requested class from noise seeded by
 * the request, all in one batch, forwarded as one {@link GeneratedImage} each (keyed by the
 * request id). The count is bounded; the whole request is rejected before anything is forwarded
 * when it is invalid.
 */
final class GenerationProcessor implements Processor<String, GenerationRequest, String, GeneratedImage> {
  private final ModelRegistry models;
  private final String defaultModel;
  private final int maxSamples;
  private ProcessorContext<String, GeneratedImage> context;

  GenerationProcessor(ModelRegistry models, String defaultModel, int maxSamples) {
    this.models = models;
    this.defaultModel = defaultModel;
    this.maxSamples = maxSamples;
  }

  @Override
  public void init(ProcessorContext<String, GeneratedImage> context) {
    this.context = context;
  }

  @Override
  public void process(Record<String, GenerationRequest> record) {
    GenerationRequest req = record.value();
    Outcomes.require(req != null, ErrorCode.EMPTY_VALUE, "record has no value");
    Outcomes.require(req.getId() != null && !req.getId().isBlank(), ErrorCode.MISSING_ID, "request has no id");
    Outcomes.require(req.getSamples() >= 1 && req.getSamples() <= maxSamples, ErrorCode.SAMPLE_COUNT,
        "samples must be 1.." + maxSamples + ", got " + req.getSamples());
    ImageGenerator task = models.route(record.headers(), defaultModel, ImageGenerator.class);
    try {
      task.classIndex(req.getLabel());
    } catch (io.streaminfer.models.InferenceException e) {
      throw new RejectedEventException(ErrorCode.UNKNOWN_CLASS, task.model().card().id(), e.getMessage());
    }
    List<ImageGenerator.Sample> samples = new ArrayList<>(req.getSamples());
    for (int i = 0; i < req.getSamples(); i++) {
      samples.add(new ImageGenerator.Sample(req.getSeed(), req.getLabel(), i));
    }
    BatchResult<ImageGenerator.Image> res = task.run(samples);
    List<ImageGenerator.Image> images = new ArrayList<>();
    res.outcomes().forEach(o -> images.add(Outcomes.valueOrReject(o, task)));
    var meta = Metadata.of(task.model(), res, record.timestamp());
    for (int i = 0; i < images.size(); i++) {
      ImageGenerator.Image img = images.get(i);
      context.forward(record.withKey(req.getId()).withValue(GeneratedImage.newBuilder()
          .setId(req.getId()).setEventTime(req.getEventTime()).setSampleIndex(i)
          .setLabel(req.getLabel()).setSeed(req.getSeed()).setPng(ByteBuffer.wrap(img.png()))
          .setWidth(img.width()).setHeight(img.height()).setMetadata(meta).build()));
    }
  }
}
