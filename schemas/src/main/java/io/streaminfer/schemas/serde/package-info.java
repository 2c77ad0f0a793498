/**
 * Kafka serdes for StreamInfer's Avro records (single-object encoding with schema fingerprints);
 * start at {@link io.streaminfer.schemas.serde.AvroSerdes}.
 */
package io.streaminfer.schemas.serde;
