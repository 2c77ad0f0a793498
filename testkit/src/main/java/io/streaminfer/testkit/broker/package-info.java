/**
 * An in-process Apache Kafka KRaft cluster for StreamInfer's demo and integration tests; see {@link
 * io.streaminfer.testkit.broker.EmbeddedKafkaCluster}.
 */
package io.streaminfer.testkit.broker;
