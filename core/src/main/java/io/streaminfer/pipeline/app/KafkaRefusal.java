package io.streaminfer.pipeline.app;

import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;

/**
 * Kafka's refusals of a principal, as one line for the operator: the credentials (SASL, TLS) were
 * not accepted, or an ACL is missing. Both are the user's to fix and retrying cannot help, so the
 * commands stop with this line instead of a stack trace or a hang.
 */
public final class KafkaRefusal {
  private KafkaRefusal() {}

  /**
   * One line describing the refusal in {@code e}'s cause chain, or {@code null} when {@code e} is
   * no refusal by Kafka.
   */
  public static String describe(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof AuthenticationException) {
        return "Kafka refused the credentials ("
            + t.getClass().getSimpleName()
            + "): "
            + t.getMessage()
            + " — check kafka.security.protocol, kafka.sasl.* and kafka.ssl.*";
      }
      if (t instanceof AuthorizationException) {
        return "Kafka denied this principal ("
            + t.getClass().getSimpleName()
            + "): "
            + t.getMessage()
            + " — grant the ACLs of docs/operations.md (Security)";
      }
    }
    return null;
  }
}
