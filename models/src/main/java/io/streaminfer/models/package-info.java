/**
 * StreamInfer's model runtime: loading model artifacts from the model repository, checking their
 * sha256, reading model cards, running ONNX Runtime sessions on the chosen execution provider, and
 * the pre- and post-processing each model card describes. Depends on no Kafka library.
 */
package io.streaminfer.models;
