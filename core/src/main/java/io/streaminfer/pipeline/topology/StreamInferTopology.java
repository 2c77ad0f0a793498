package io.streaminfer.pipeline.topology;

import io.streaminfer.pipeline.batch.BatchSettings;
import io.streaminfer.pipeline.batch.BufferedRecord;
import io.streaminfer.pipeline.config.Route;
import io.streaminfer.pipeline.config.StreamInferConfig;
import io.streaminfer.pipeline.dlq.DeadLetterProcessingHandler;
import io.streaminfer.pipeline.dlq.DeadLetterProductionHandler;
import io.streaminfer.pipeline.dlq.DeadLetters;
import io.streaminfer.pipeline.metrics.PipelineMetrics;
import io.streaminfer.pipeline.model.ModelRegistry;
import io.streaminfer.schemas.serde.AvroSerdes;
import java.util.HashSet;
import java.util.Properties;
import java.util.Set;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

/**
 * Builds StreamInfer's topology in one loop over the declared routes: each route is a processor of
 * its {@link TaskFamily} reading the route's input topic, with its own batch buffer (and the
 * family's stores), one sink per output role and its own dead-letter sink. Routes on different
 * topics are independent sub-topologies (a task reads one input partition, and Kafka Streams never
 * waits on the empty partitions of other inputs); routes sharing an input topic share its source
 * node and so one sub-topology (fan-out: every route serves every event). Failures that leave a
 * processor go to the dead-letter topic through Kafka Streams' own exception handlers ({@link
 * #streamsProperties}). Called by {@code main} and by the tests alike.
 */
public final class StreamInferTopology {
  private StreamInferTopology() {}

  /**
   * The topology for {@code config}, serving the models in {@code models}, counting into {@code
   * metrics} (neither owned; pass the same metrics to {@link #streamsProperties}).
   */
  public static Topology build(
      StreamInferConfig config, ModelRegistry models, PipelineMetrics metrics) {
    return build(config, config.routes(), models, metrics);
  }

  /**
   * The topology of {@code routes} (some of {@code config}'s: one Kafka Streams client's share).
   */
  public static Topology build(
      StreamInferConfig config,
      java.util.List<Route> routes,
      ModelRegistry models,
      PipelineMetrics metrics) {
    Topics topics = Topics.of(config);
    ByteArrayDeserializer bytesIn = new ByteArrayDeserializer();
    StringSerializer keyOut = new StringSerializer();
    Topology t = new Topology();
    Set<String> sources = new HashSet<>();
    for (Route route : routes) {
      // Sources keep the raw bytes: the processors buffer exactly what was read and decode at
      // batch time, so every dead letter carries the original bytes.
      String source = sourceNode(route.input());
      if (sources.add(route.input())) {
        t.addSource(source, bytesIn, bytesIn, route.input());
      }
      TaskFamily family = TaskFamily.of(route.task());
      BatchSettings batching = batching(config, route); // read once here, not per stream task
      PipelineMetrics.RouteMetrics routeMetrics = metrics.route(route.name());
      String node = route.processorNode();
      t.addProcessor(node, () -> family.processor(route, models, batching, routeMetrics), source);
      // small and short-lived: in memory, made durable by its changelog topic; cached, so the
      // changelog gets each slot's state at a commit rather than every put and delete
      t.addStateStore(
          Stores.keyValueStoreBuilder(
                  Stores.inMemoryKeyValueStore(route.bufferStore()),
                  Serdes.Long(),
                  new BufferedRecord.StoreSerde())
              .withCachingEnabled(),
          node);
      for (StoreBuilder<?> store : family.stores(route)) {
        t.addStateStore(store, node);
      }
      family
          .outputs()
          .forEach(
              (role, type) ->
                  t.addSink(
                      route.sinkNode(role), route.output(role), keyOut, serializer(type), node));
      if (!family.servesSeveralModels()) {
        // the control record the task's outputs were served under
        t.addStateStore(ControlWatermark.store(route), node);
        // a shadow version's results: the output's record
        t.addSink(
            route.sinkNode(Route.SHADOW),
            config.getString(StreamInferConfig.TOPIC_SHADOW_PREDICTIONS),
            keyOut,
            serializer(family.outputs().get(Route.OUTPUT)),
            node);
      }
      t.addSink(
          route.deadLetterNode(),
          topics.deadLetters(),
          new ByteArraySerializer(),
          new ByteArraySerializer(),
          node);
    }
    return t;
  }

  /**
   * The source node of input topic {@code topic} (one per topic, shared by the routes reading it).
   */
  static String sourceNode(String topic) {
    return "in-" + topic;
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static Serializer<Object> serializer(Class<? extends SpecificRecord> type) {
    return (Serializer) AvroSerdes.serde(type).serializer();
  }

  /** Batching of {@code route}, with the slow-batch threshold of {@code config}'s poll budget. */
  static BatchSettings batching(StreamInferConfig config, Route route) {
    return new BatchSettings(
        route.batchMaxSize(), route.batchMaxDelay(), config.batchTimeBudget().dividedBy(4));
  }

  /**
   * Kafka Streams properties for {@code config}, with the dead-letter handlers installed; they
   * count into {@code metrics}.
   */
  public static Properties streamsProperties(StreamInferConfig config, PipelineMetrics metrics) {
    return streamsProperties(config, config.routes(), metrics);
  }

  /**
   * As {@link #streamsProperties(StreamInferConfig, PipelineMetrics)}, for a client serving {@code
   * routes}.
   */
  public static Properties streamsProperties(
      StreamInferConfig config, java.util.List<Route> routes, PipelineMetrics metrics) {
    Properties p = config.streamsProperties(routes);
    // an object, read by the handlers' configure (the clients ignore keys they do not know)
    p.put(PipelineMetrics.CONFIG, metrics);
    p.put(DeadLetters.TOPIC_CONFIG, Topics.of(config).deadLetters());
    p.put(
        StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG,
        DeadLetterProcessingHandler.class.getName());
    p.put(
        StreamsConfig.PRODUCTION_EXCEPTION_HANDLER_CLASS_CONFIG,
        DeadLetterProductionHandler.class.getName());
    p.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG, true); // 5.0 default
    // the partition assignor builds its own StreamsConfig from the main consumer's configuration,
    // and warns at every start that the flag above is off unless that configuration has it too
    p.put(
        StreamsConfig.mainConsumerPrefix(
            StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG),
        true);
    return p;
  }
}
