package io.streaminfer.pipeline.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.streaminfer.pipeline.TestConfigs;
import io.streaminfer.pipeline.TestTopics;
import io.streaminfer.testkit.broker.EmbeddedKafkaCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code run}, {@code produce} and {@code tail} against a broker that speaks SASL/SCRAM over TLS
 * and authorises with ACLs ({@code StandardAuthorizer}), configured with the keys of
 * docs/operations.md and granted exactly the ACLs its Security section lists. A wrong password and
 * a principal missing one ACL each end the command with one line and exit status 3 — no hang, no
 * stack trace, nothing reported published that was not.
 */
class SecurityIT {
  private static final String SECURE = "SECURE";
  private static final String APP = "streaminfer";
  private static final String STORE_PASSWORD = "test-store-secret";

  @TempDir Path work;

  @Test
  @Timeout(value = 420, unit = TimeUnit.SECONDS)
  void shouldServeOverSaslSslWithTheDocumentedAclsAndRefuseClearlyWithout() throws Exception {
    TlsMaterial tls = TlsMaterial.create(work, STORE_PASSWORD);
    Map<String, String> broker =
        Map.of(
            "authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
            // PLAINTEXT (inter-broker, controller and this test's admin) is the superuser
            "super.users", "User:ANONYMOUS",
            "listener.name.secure.ssl.keystore.location", tls.keystore().toString(),
            "listener.name.secure.ssl.keystore.type", "PKCS12",
            "listener.name.secure.ssl.keystore.password", tls.password(),
            "listener.name.secure.ssl.key.password", tls.password(),
            "listener.name.secure.sasl.enabled.mechanisms", "SCRAM-SHA-512",
            "listener.name.secure.scram-sha-512.sasl.jaas.config",
                "org.apache.kafka.common.security.scram.ScramLoginModule required;");
    try (EmbeddedKafkaCluster kafka =
        EmbeddedKafkaCluster.start(1, broker, Map.of(SECURE, "SASL_SSL"))) {
      TestTopics topics = TestTopics.of(TestConfigs.config(Map.of()));
      kafka.createTopics(2, topics.all().toArray(String[]::new));
      List<String> inputs = new ArrayList<>(topics.all());
      inputs.removeAll(topics.outputs());
      try (Admin admin = Admin.create(plaintext(kafka))) {
        // the model-control topics, made by the operator (the pipeline's principal may not create)
        Map<String, String> compact = Map.of("cleanup.policy", "compact");
        admin
            .createTopics(
                List.of(
                    new org.apache.kafka.clients.admin.NewTopic("model-control", 1, (short) 1)
                        .configs(compact),
                    new org.apache.kafka.clients.admin.NewTopic("model-status", 1, (short) 1)
                        .configs(compact),
                    new org.apache.kafka.clients.admin.NewTopic("model-artifacts", 1, (short) 1)
                        .configs(compact),
                    new org.apache.kafka.clients.admin.NewTopic(
                        "shadow-predictions", 2, (short) 1)))
            .all()
            .get(30, TimeUnit.SECONDS);
        admin
            .alterUserScramCredentials(
                List.of(
                    user("streaminfer", "pipeline-secret"),
                    user("client", "client-secret"),
                    user("mute", "mute-secret")))
            .all()
            .get(30, TimeUnit.SECONDS);
        List<AclBinding> acls = new ArrayList<>();
        acls.addAll(pipelineAcls("streaminfer", inputs, topics.outputs()));
        List<String> allButTexts = new ArrayList<>(topics.outputs());
        allButTexts.remove(topics.textPredictions());
        acls.addAll(pipelineAcls("mute", inputs, allButTexts)); // no WRITE on text-predictions
        acls.addAll(clientAcls("client", inputs, topics.outputs()));
        admin.createAcls(acls).all().get(30, TimeUnit.SECONDS);
      }
      String bootstrap = kafka.bootstrapServers(SECURE);
      Path pipeline = properties("pipeline", bootstrap, "streaminfer", "pipeline-secret", tls);
      Path client = properties("client", bootstrap, "client", "client-secret", tls);
      Path wrong = properties("wrong", bootstrap, "client", "not-the-password", tls);
      Path mute = properties("mute", bootstrap, "mute", "mute-secret", tls);
      Path root = Walkthrough.root();
      Map<String, String> none = Map.of();

      // the pipeline over SASL_SSL with the documented ACLs serves a text end to end
      List<Process> background = new ArrayList<>();
      try {
        Process run = Walkthrough.start(root, work, jar("run -c " + pipeline), none, "secure-run");
        background.add(run);
        Walkthrough.awaitLine(PipelineProcess.logFile("secure-run").toPath(), "-> RUNNING", run);
        Walkthrough.run(
            root,
            work,
            jar("produce -c " + client + " --text \"Guten Morgen, wie geht es dir?\""),
            none,
            "secure-produce",
            90);
        String tail =
            Walkthrough.run(
                root,
                work,
                jar("tail -c " + client + " --from-beginning --max 1"),
                none,
                "secure-tail",
                150);
        assertThat(tail).containsPattern("text-predictions \\(texts\\) +text-1 +de ");

        // a wrong password: one line, exit 3, nothing claimed published
        Process refused =
            Walkthrough.start(
                root,
                work,
                jar("produce -c " + wrong + " --text x"),
                none,
                "secure-wrong-password");
        assertThat(refused.waitFor(90, TimeUnit.SECONDS)).as("ends, no hang").isTrue();
        String printed =
            Files.readString(PipelineProcess.logFile("secure-wrong-password").toPath());
        assertThat(refused.exitValue()).as(printed).isEqualTo(3);
        assertThat(printed)
            .contains("streaminfer: Kafka refused the credentials")
            .doesNotContain("\tat ")
            .doesNotContain("published");
      } finally {
        Walkthrough.stopAll(background);
      }

      // the pipeline with a wrong password: it never joins, it stops with one line, exit 3
      Path wrongRun = properties("wrong-run", bootstrap, "streaminfer", "not-it", tls);
      Process denied =
          Walkthrough.start(root, work, jar("run -c " + wrongRun), none, "secure-wrong-run");
      try {
        assertThat(denied.waitFor(120, TimeUnit.SECONDS)).as("ends, no hang").isTrue();
        String printed = Files.readString(PipelineProcess.logFile("secure-wrong-run").toPath());
        assertThat(denied.exitValue()).as(printed).isEqualTo(3);
        assertThat(printed).contains("streaminfer: Kafka refused the credentials");
      } finally {
        Walkthrough.stopAll(List.of(denied));
      }

      // a principal without WRITE on text-predictions: the pipeline stops with one line, exit 3
      Process run = Walkthrough.start(root, work, jar("run -c " + mute), none, "secure-mute-run");
      try {
        Walkthrough.awaitLine(
            PipelineProcess.logFile("secure-mute-run").toPath(), "-> RUNNING", run);
        Walkthrough.run(
            root,
            work,
            jar("produce -c " + client + " --text \"Buenos días, ¿cómo estás?\""),
            none,
            "secure-produce-2",
            90);
        assertThat(run.waitFor(180, TimeUnit.SECONDS)).as("the denied pipeline stops").isTrue();
        String printed = Files.readString(PipelineProcess.logFile("secure-mute-run").toPath());
        assertThat(run.exitValue()).as(printed).isEqualTo(3);
        assertThat(printed)
            .containsPattern(
                "streaminfer: Kafka denied this principal \\(\\w*AuthorizationException\\): .*"
                    + topics.textPredictions());
      } finally {
        Walkthrough.stopAll(List.of(run));
      }
    }
  }

  /** What the pipeline's principal needs (docs/operations.md, Security), as ACLs. */
  static List<AclBinding> pipelineAcls(String user, List<String> inputs, List<String> outputs) {
    List<AclBinding> out = new ArrayList<>();
    for (String t : inputs) {
      out.add(allow(user, ResourceType.TOPIC, t, PatternType.LITERAL, AclOperation.READ));
    }
    for (String t : outputs) {
      out.add(allow(user, ResourceType.TOPIC, t, PatternType.LITERAL, AclOperation.WRITE));
    }
    // run-time model changes: read the desired state, report the instance's, write shadows
    out.add(
        allow(user, ResourceType.TOPIC, "model-control", PatternType.LITERAL, AclOperation.READ));
    out.add(
        allow(user, ResourceType.TOPIC, "model-artifacts", PatternType.LITERAL, AclOperation.READ));
    out.add(
        allow(user, ResourceType.TOPIC, "model-status", PatternType.LITERAL, AclOperation.WRITE));
    out.add(
        allow(
            user,
            ResourceType.TOPIC,
            "shadow-predictions",
            PatternType.LITERAL,
            AclOperation.WRITE));
    // internal topics (changelogs) <application.id>-..., the group and the transactional ids
    out.add(allow(user, ResourceType.TOPIC, APP + "-", PatternType.PREFIXED, AclOperation.ALL));
    out.add(allow(user, ResourceType.GROUP, APP, PatternType.PREFIXED, AclOperation.READ));
    out.add(
        allow(user, ResourceType.TRANSACTIONAL_ID, APP, PatternType.PREFIXED, AclOperation.WRITE));
    return out;
  }

  /** What {@code produce} and {@code tail} need. */
  static List<AclBinding> clientAcls(String user, List<String> inputs, List<String> outputs) {
    List<AclBinding> out = new ArrayList<>();
    for (String t : inputs) {
      out.add(allow(user, ResourceType.TOPIC, t, PatternType.LITERAL, AclOperation.WRITE));
    }
    for (String t : outputs) {
      out.add(allow(user, ResourceType.TOPIC, t, PatternType.LITERAL, AclOperation.READ));
    }
    out.add(
        allow(
            user,
            ResourceType.GROUP,
            "streaminfer-tail-",
            PatternType.PREFIXED,
            AclOperation.READ));
    return out;
  }

  private static AclBinding allow(
      String user, ResourceType type, String name, PatternType pattern, AclOperation op) {
    return new AclBinding(
        new ResourcePattern(type, name, pattern),
        new AccessControlEntry("User:" + user, "*", op, AclPermissionType.ALLOW));
  }

  private static UserScramCredentialUpsertion user(String name, String password) {
    return new UserScramCredentialUpsertion(
        name, new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 8192), password);
  }

  private static Properties plaintext(EmbeddedKafkaCluster kafka) {
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    return p;
  }

  /** The security keys of docs/operations.md for {@code user}. */
  private Path properties(
      String name, String bootstrap, String user, String password, TlsMaterial tls)
      throws Exception {
    Path file = work.resolve(name + ".properties");
    Files.writeString(
        file,
        String.join(
            "\n",
            "bootstrap.servers=" + bootstrap,
            "application.id=" + APP,
            "processing.guarantee=exactly_once_v2",
            "state.dir=" + work.resolve("state-" + name),
            "metrics.port=0",
            "kafka.security.protocol=SASL_SSL",
            "kafka.sasl.mechanism=SCRAM-SHA-512",
            "kafka.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule"
                + " required \\",
            "  username=\"" + user + "\" password=\"" + password + "\";",
            "kafka.ssl.truststore.location=" + tls.truststore(),
            "kafka.ssl.truststore.type=PKCS12",
            "kafka.ssl.truststore.password=" + tls.password(),
            ""));
    return file;
  }

  private static String jar(String args) {
    return Walkthrough.JAR_COMMAND + args;
  }
}
