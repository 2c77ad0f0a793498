package io.streaminfer.pipeline.topology;

import io.streaminfer.models.task.ImageGenerator;
import io.streaminfer.pipeline.batch.BatchSettings;
import io.streaminfer.pipeline.batch.BatchingProcessor;
import io.streaminfer.pipeline.batch.BufferedRecord;
import io.streaminfer.pipeline.config.ModelRef;
import io.streaminfer.pipeline.config.Route;
import io.streaminfer.pipeline.dlq.ErrorCode;
import io.streaminfer.pipeline.metrics.PipelineMetrics;
import io.streaminfer.pipeline.model.ModelRegistry;
import io.streaminfer.schemas.GeneratedImage;
import io.streaminfer.schemas.GenerationRequest;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs generation requests in micro-batches: every sample of every valid request of the batch (per
 * model) in one run, noise seeded by its request; each request yields one {@link GeneratedImage}
 * per sample (keyed by the request id), or — when it is invalid or any of its samples fails — one
 * dead letter and no image. The sample count is bounded.
 */
final class GenerationProcessor extends BatchingProcessor {
  private final ModelRegistry models;
  private final ModelRef defaultModel;
  private final int maxSamples;
  private final String imagesChild;
  private final Batches.Decoder<GenerationRequest> decoder =
      new Batches.Decoder<>(GenerationRequest.class);

  GenerationProcessor(
      Route route,
      BatchSettings batching,
      ModelRegistry models,
      PipelineMetrics.RouteMetrics metrics) {
    super(metrics, route.bufferStore(), batching, route.deadLetterNode());
    this.models = models;
    this.defaultModel = route.defaultModel();
    this.maxSamples = route.limits().maxSamples();
    this.imagesChild = route.sinkNode(Route.OUTPUT);
  }

  private record Request(int index, GenerationRequest request, int firstSample) {}

  @Override
  protected void handle(List<BufferedRecord> batch) {
    Runnable[] actions = new Runnable[batch.size()];
    Map<ImageGenerator, List<Request>> byModel = new LinkedHashMap<>();
    Map<ImageGenerator, List<ImageGenerator.Sample>> samples = new LinkedHashMap<>();
    for (int i = 0; i < batch.size(); i++) {
      BufferedRecord src = batch.get(i);
      try {
        GenerationRequest req = decoder.decode(src);
        Outcomes.require(
            req.getId() != null && !req.getId().isBlank(),
            ErrorCode.MISSING_ID,
            "request has no id");
        Outcomes.require(
            req.getSamples() >= 1 && req.getSamples() <= maxSamples,
            ErrorCode.SAMPLE_COUNT,
            "samples must be 1.." + maxSamples + ", got " + req.getSamples());
        ImageGenerator task = models.route(src.headers(), defaultModel, ImageGenerator.class);
        task.classIndex(
            req.getLabel()); // InferenceException (UNKNOWN_CLASS) for a class the model lacks
        List<ImageGenerator.Sample> s = samples.computeIfAbsent(task, t -> new ArrayList<>());
        byModel.computeIfAbsent(task, t -> new ArrayList<>()).add(new Request(i, req, s.size()));
        for (int k = 0; k < req.getSamples(); k++) {
          s.add(new ImageGenerator.Sample(req.getSeed(), req.getLabel(), k));
        }
      } catch (RuntimeException e) {
        actions[i] = () -> deadLetter(src, e, "");
      }
    }
    byModel.forEach(
        (task, requests) -> {
          var ran = Batches.run(task, samples.get(task), settings().maxSize(), metrics());
          for (Request rq : requests) {
            BufferedRecord src = batch.get(rq.index());
            GenerationRequest req = rq.request();
            List<GeneratedImage> images = new ArrayList<>();
            RuntimeException failure = null;
            for (int k = 0; k < req.getSamples(); k++) {
              var r = ran.get(rq.firstSample() + k);
              if (!r.outcome().ok()) {
                failure = r.outcome().error();
                break;
              }
              ImageGenerator.Image img = r.outcome().value();
              images.add(
                  GeneratedImage.newBuilder()
                      .setId(req.getId())
                      .setEventTime(req.getEventTime())
                      .setSampleIndex(k)
                      .setLabel(req.getLabel())
                      .setSeed(req.getSeed())
                      .setPng(ByteBuffer.wrap(img.png()))
                      .setWidth(img.width())
                      .setHeight(img.height())
                      .setMetadata(Metadata.of(task.model(), r.batch(), src.timestamp()))
                      .build());
            }
            RuntimeException f = failure;
            actions[rq.index()] =
                f != null
                    ? () -> deadLetter(src, f, task.model().card().id())
                    : () ->
                        images.forEach(
                            g -> emitPrediction(imagesChild, req.getId(), g, src, task.model()));
          }
        });
    for (Runnable a : actions) {
      a.run();
    }
  }
}
