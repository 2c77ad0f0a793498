package io.streaminfer.pipeline.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A throw-away certificate authority and a broker certificate for 127.0.0.1 signed by it, made with
 * the JDK's {@code keytool}: the broker's PKCS12 keystore and the clients' PKCS12 truststore (the
 * CA alone), both under one password.
 */
record TlsMaterial(Path keystore, Path truststore, String password) {

  static TlsMaterial create(Path dir, String password) throws Exception {
    Path ca = dir.resolve("ca.p12");
    Path caPem = dir.resolve("ca.pem");
    Path keystore = dir.resolve("broker.p12");
    Path csr = dir.resolve("broker.csr");
    Path signed = dir.resolve("broker.pem");
    Path truststore = dir.resolve("truststore.p12");
    String[] store = {"-storetype", "PKCS12", "-storepass", password, "-keypass", password};
    keytool(
        dir,
        store,
        "-genkeypair",
        "-alias",
        "ca",
        "-keyalg",
        "RSA",
        "-keysize",
        "2048",
        "-validity",
        "2",
        "-dname",
        "CN=StreamInfer test CA",
        "-ext",
        "bc:c",
        "-keystore",
        ca.toString());
    keytool(
        dir,
        store,
        "-exportcert",
        "-rfc",
        "-alias",
        "ca",
        "-keystore",
        ca.toString(),
        "-file",
        caPem.toString());
    keytool(
        dir,
        store,
        "-genkeypair",
        "-alias",
        "broker",
        "-keyalg",
        "RSA",
        "-keysize",
        "2048",
        "-validity",
        "2",
        "-dname",
        "CN=127.0.0.1",
        "-keystore",
        keystore.toString());
    keytool(
        dir,
        store,
        "-certreq",
        "-alias",
        "broker",
        "-keystore",
        keystore.toString(),
        "-file",
        csr.toString());
    keytool(
        dir,
        store,
        "-gencert",
        "-rfc",
        "-alias",
        "ca",
        "-keystore",
        ca.toString(),
        "-infile",
        csr.toString(),
        "-outfile",
        signed.toString(),
        "-validity",
        "2",
        "-ext",
        "SAN=IP:127.0.0.1");
    keytool(
        dir,
        store,
        "-importcert",
        "-noprompt",
        "-alias",
        "ca",
        "-file",
        caPem.toString(),
        "-keystore",
        keystore.toString());
    keytool(
        dir,
        store,
        "-importcert",
        "-noprompt",
        "-alias",
        "broker",
        "-file",
        signed.toString(),
        "-keystore",
        keystore.toString());
    keytool(
        dir,
        store,
        "-importcert",
        "-noprompt",
        "-alias",
        "ca",
        "-file",
        caPem.toString(),
        "-keystore",
        truststore.toString());
    return new TlsMaterial(keystore, truststore, password);
  }

  private static void keytool(Path dir, String[] store, String... args) throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
    cmd.addAll(List.of(args));
    cmd.addAll(List.of(store));
    Path log = dir.resolve("keytool.log");
    Process p =
        new ProcessBuilder(cmd)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
            .start();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("keytool %s", args[0]).isTrue();
    assertThat(p.exitValue()).as("keytool %s: %s", args[0], Files.readString(log)).isZero();
  }
}
