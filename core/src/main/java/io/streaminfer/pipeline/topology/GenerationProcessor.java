package io.streaminfer.pipeline.topology;

import io.streaminfer.models.task.ImageGenerator;
import io.streaminfer.pipeline.batch.BatchSettings;
import io.streaminfer.pipeline.batch.BufferedRecord;
import io.streaminfer.pipeline.config.Route;
import io.streaminfer.pipeline.dlq.ErrorCode;
import io.streaminfer.pipeline.metrics.PipelineMetrics;
import io.streaminfer.pipeline.model.ModelRegistry;
import io.streaminfer.pipeline.model.Serving;
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
 * dead letter and no image. The sample count is bounded. A shadow version of the route renders the
 * same samples to the shadow topic.
 */
final class GenerationProcessor extends ServingProcessor {
  private final int maxSamples;
  private final String imagesChild;
  private final String shadowChild;
  private final Batches.Decoder<GenerationRequest> decoder =
      new Batches.Decoder<>(GenerationRequest.class);

  GenerationProcessor(
      Route route,
      BatchSettings batching,
      ModelRegistry models,
      PipelineMetrics.RouteMetrics metrics) {
    super(route, batching, models, metrics);
    this.maxSamples = route.limits().maxSamples();
    this.imagesChild = route.sinkNode(Route.OUTPUT);
    this.shadowChild = route.sinkNode(Route.SHADOW);
  }

  private record Request(int index, GenerationRequest request, int firstSample) {}

  /** The requests of one model in a batch and their samples, in order. */
  private record Work(List<Request> requests, List<ImageGenerator.Sample> samples) {
    Work() {
      this(new ArrayList<>(), new ArrayList<>());
    }

    void add(int index, GenerationRequest req) {
      requests.add(new Request(index, req, samples.size()));
      for (int k = 0; k < req.getSamples(); k++) {
        samples.add(new ImageGenerator.Sample(req.getSeed(), req.getLabel(), k));
      }
    }
  }

  @Override
  protected void handle(List<BufferedRecord> batch, Serving now) {
    Runnable[] actions = new Runnable[batch.size()];
    Map<ImageGenerator, Work> byModel = new LinkedHashMap<>();
    ImageGenerator shadow = (ImageGenerator) now.shadow();
    Work shadowed = new Work(); // served by the route's versions, not a header
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
        ImageGenerator task = models().route(src.headers(), src.key(), now, ImageGenerator.class);
        if (now.canary() != null && src.headers().lastHeader(ModelRegistry.MODEL_HEADER) == null) {
          metrics().split(task == now.canary());
        }
        task.classIndex(
            req.getLabel()); // InferenceException (UNKNOWN_CLASS) for a class the model lacks
        byModel.computeIfAbsent(task, t -> new Work()).add(i, req);
        if (shadow != null && src.headers().lastHeader(ModelRegistry.MODEL_HEADER) == null) {
          shadowed.add(i, req);
        }
      } catch (RuntimeException e) {
        actions[i] = () -> deadLetter(src, e, "");
      }
    }
    byModel.forEach(
        (task, work) ->
            render(
                task,
                work,
                batch,
                now,
                (rq, images, failure) -> {
                  BufferedRecord src = batch.get(rq.index());
                  String id = rq.request().getId();
                  actions[rq.index()] =
                      failure != null
                          ? () -> deadLetter(src, failure, task.model().card().id())
                          : () ->
                              images.forEach(
                                  g -> emitPrediction(imagesChild, id, g, src, task.model()));
                }));
    for (Runnable a : actions) {
      a.run();
    }
    if (!shadowed.requests().isEmpty()) {
      // the shadow's images go to the shadow topic; its failures are counted, never dead letters
      render(
          shadow,
          shadowed,
          batch,
          now,
          (rq, images, failure) -> {
            if (failure != null) {
              metrics().shadowFailed();
              return;
            }
            for (GeneratedImage g : images) {
              emit(shadowChild, rq.request().getId(), g, batch.get(rq.index()));
              metrics().shadow(null);
            }
          });
    }
  }

  /** What becomes of one request: its images, or the failure of one of its samples. */
  @FunctionalInterface
  private interface Rendered {
    void accept(Request request, List<GeneratedImage> images, RuntimeException failure);
  }

  /** Runs every sample of {@code work} through {@code task} and hands each request its images. */
  private void render(
      ImageGenerator task, Work work, List<BufferedRecord> batch, Serving now, Rendered to) {
    var ran = Batches.run(task, work.samples(), settings().maxSize(), metrics());
    for (Request rq : work.requests()) {
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
                .setMetadata(
                    Metadata.of(task.model(), r.batch(), src.timestamp(), now.controlOffset()))
                .build());
      }
      to.accept(rq, images, failure);
    }
  }
}
