package io.streaminfer.schemas.serde;

import org.apache.avro.util.ClassSecurityValidator;
import org.apache.avro.util.ClassSecurityValidator.ClassSecurityPredicate;

/**
 * Adds StreamInfer's generated classes to Avro's trusted classes, once per JVM.
 *
 * <p>Avro 1.12 refuses to instantiate generated classes outside its trusted packages unless the
 * {@code org.apache.avro.SERIALIZABLE_PACKAGES} system property names them. Registering exactly
 * this project's schema package keeps the serdes working without that flag, and leaves every other
 * decision to the validator already installed.
 */
final class TrustedPackage {

  /** The package of the classes generated from {@code src/main/avro}. */
  static final String SCHEMAS_PACKAGE = "io.streaminfer.schemas";

  private static boolean registered;

  private TrustedPackage() {}

  static synchronized void register() {
    if (registered) {
      return;
    }
    ClassSecurityPredicate previous = ClassSecurityValidator.getGlobal();
    ClassSecurityPredicate schemas = type -> SCHEMAS_PACKAGE.equals(type.getPackageName());
    ClassSecurityValidator.setGlobal(ClassSecurityValidator.composite(previous, schemas));
    registered = true;
  }
}
