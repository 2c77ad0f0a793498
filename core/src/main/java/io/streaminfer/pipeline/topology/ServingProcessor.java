package io.streaminfer.pipeline.topology;

import io.streaminfer.pipeline.batch.BatchSettings;
import io.streaminfer.pipeline.batch.BatchingProcessor;
import io.streaminfer.pipeline.batch.BufferedRecord;
import io.streaminfer.pipeline.config.Route;
import io.streaminfer.pipeline.metrics.PipelineMetrics;
import io.streaminfer.pipeline.model.ModelRegistry;
import io.streaminfer.pipeline.model.Serving;
import java.util.List;
import org.apache.kafka.streams.processor.api.ProcessorContext;

/**
 * A route's batching processor whose versions may change while it serves: each batch runs under one
 * {@link ModelRegistry.Lease} on what the route serves (so a swap lands at a batch boundary, and
 * the versions a batch uses stay open until it ends), after the task's {@link ControlWatermark}
 * says this instance has read the control record the task last served under.
 */
abstract class ServingProcessor extends BatchingProcessor {
  private final ModelRegistry models;
  private final String route;
  private final ControlWatermark watermark;

  ServingProcessor(
      Route route,
      BatchSettings batching,
      ModelRegistry models,
      PipelineMetrics.RouteMetrics metrics) {
    super(metrics, route.bufferStore(), batching, route.deadLetterNode());
    this.models = models;
    this.route = route.name();
    this.watermark = new ControlWatermark(ControlWatermark.storeName(route));
  }

  @Override
  public void init(ProcessorContext<Object, Object> context) {
    super.init(context);
    watermark.init(context);
  }

  @Override
  protected final void handle(List<BufferedRecord> batch) {
    try (ModelRegistry.Lease lease = watermark.lease(models, route)) { // this batch's versions
      handle(batch, lease.serving());
      watermark.served(lease.serving());
    }
  }

  /** Turns a batch into predictions and dead letters, serving what {@code now} says. */
  protected abstract void handle(List<BufferedRecord> batch, Serving now);

  /** The registry (not owned). */
  protected ModelRegistry models() {
    return models;
  }
}
