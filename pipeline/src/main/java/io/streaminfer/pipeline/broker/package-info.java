/**
 * An in-process Apache Kafka KRaft cluster for StreamInfer's demo and integration tests; see
 * {@link io.streaminfer.pipeline.broker.EmbeddedKafkaCluster}.
 */
package io.streaminfer.pipeline.broker;
