package dev.faultline.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.faultline.topics.TopicsFile;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import java.lang.reflect.Method;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * k8s/: each overlay builds with {@code kubectl kustomize}; every built-in resource parses into fabric8's typed model
 * with no unknown field; the CRDs (KEDA, Prometheus Operator, Strimzi) are checked structurally and against the rest.
 */
class KubernetesManifestsTest {

    static final ObjectMapper YAML =
            new ObjectMapper(new YAMLFactory()).enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    static final Map<String, Class<?>> TYPED = Map.of(
            "v1/ConfigMap",
            ConfigMap.class,
            "v1/Secret",
            Secret.class,
            "v1/Service",
            Service.class,
            "v1/ServiceAccount",
            ServiceAccount.class,
            "v1/PersistentVolumeClaim",
            PersistentVolumeClaim.class,
            "apps/v1/Deployment",
            Deployment.class,
            "policy/v1/PodDisruptionBudget",
            PodDisruptionBudget.class);

    static final Set<String> CRDS = Set.of(
            "keda.sh/v1alpha1/ScaledObject",
            "keda.sh/v1alpha1/TriggerAuthentication",
            "monitoring.coreos.com/v1/ServiceMonitor",
            "kafka.strimzi.io/v1beta2/KafkaTopic");

    /** Runs kustomize and returns the documents of the build. */
    static List<JsonNode> build(String overlay) throws Exception {
        assumeTrue(DeployFiles.onPath("kubectl"), "kubectl not installed: skipping the kustomize build of k8s/");
        DeployFiles.Run r = DeployFiles.exec(List.of("kubectl", "kustomize", "k8s/overlays/" + overlay));
        assertThat(r.code())
                .as("kubectl kustomize k8s/overlays/" + overlay + "\n" + r.output())
                .isZero();
        List<JsonNode> docs = new ArrayList<>();
        try (var parser = YAML.getFactory().createParser(r.output())) {
            var it = YAML.readValues(parser, JsonNode.class);
            while (it.hasNext()) {
                JsonNode n = it.next();
                if (n != null && !n.isEmpty()) {
                    docs.add(n);
                }
            }
        }
        return docs;
    }

    static String type(JsonNode doc) {
        return doc.path("apiVersion").asText() + "/" + doc.path("kind").asText();
    }

    static <T> T typed(JsonNode doc, Class<T> type) {
        try {
            T value = YAML.treeToValue(doc, type);
            List<String> unknown = new ArrayList<>();
            unknownFields(value, type.getSimpleName(), unknown, new IdentityHashMap<>());
            assertThat(unknown)
                    .as(type(doc) + " " + doc.path("metadata").path("name").asText() + ": unknown fields")
                    .isEmpty();
            return value;
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new AssertionError(
                    type(doc) + " " + doc.path("metadata").path("name").asText() + ": " + e.getMessage(), e);
        }
    }

    /** fabric8 keeps unknown fields in {@code additionalProperties} instead of failing: walk the model for them. */
    static void unknownFields(Object o, String path, List<String> out, IdentityHashMap<Object, Boolean> seen) {
        if (o == null || seen.put(o, true) != null) {
            return;
        }
        if (o instanceof Collection<?> c) {
            int i = 0;
            for (Object e : c) {
                unknownFields(e, path + "[" + i++ + "]", out, seen);
            }
            return;
        }
        if (o instanceof Map<?, ?> m) {
            m.forEach((k, v) -> unknownFields(v, path + "." + k, out, seen));
            return;
        }
        if (!o.getClass().getName().startsWith("io.fabric8.")
                || o instanceof Quantity
                || o instanceof io.fabric8.kubernetes.api.model.IntOrString) {
            return;
        }
        for (Method g : o.getClass().getMethods()) {
            if (g.getParameterCount() != 0 || !g.getName().startsWith("get") || g.getDeclaringClass() == Object.class) {
                continue;
            }
            try {
                Object v = g.invoke(o);
                if (g.getName().equals("getAdditionalProperties")) {
                    if (v instanceof Map<?, ?> extra && !extra.isEmpty()) {
                        out.add(path + ": " + extra.keySet());
                    }
                } else {
                    unknownFields(
                            v,
                            path + "." + g.getName().substring(3, 4).toLowerCase()
                                    + g.getName().substring(4),
                            out,
                            seen);
                }
            } catch (ReflectiveOperationException e) {
                throw new AssertionError(e);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"dev", "prod"})
    void everyResourceParsesIntoItsTypedModelWithNoUnknownField(String overlay) throws Exception {
        List<JsonNode> docs = build(overlay);
        assertThat(docs).hasSizeGreaterThanOrEqualTo(12);
        for (JsonNode doc : docs) {
            String t = type(doc);
            assertThat(TYPED.containsKey(t) || CRDS.contains(t))
                    .as("unexpected resource type " + t)
                    .isTrue();
            if (TYPED.containsKey(t)) {
                typed(doc, TYPED.get(t));
            }
            assertThat(doc.path("metadata").path("namespace").asText())
                    .as(t + " namespace")
                    .isEqualTo(overlay.equals("dev") ? "faultline-dev" : "faultline");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"dev", "prod"})
    void deploymentsRunTheirRoleWithHealthProbesAndResolvableReferences(String overlay) throws Exception {
        List<JsonNode> docs = build(overlay);
        Set<String> configMaps = names(docs, "v1/ConfigMap");
        Set<String> secrets = new java.util.HashSet<>(names(docs, "v1/Secret"));
        secrets.addAll(Set.of("faultline-kafka-client", "faultline-redis")); // created by the operator in prod
        Set<String> claims = names(docs, "v1/PersistentVolumeClaim");
        Map<String, Deployment> deployments = new java.util.HashMap<>();
        docs.stream()
                .filter(d -> type(d).equals("apps/v1/Deployment"))
                .forEach(d -> deployments.put(d.path("metadata").path("name").asText(), typed(d, Deployment.class)));
        assertThat(deployments).containsOnlyKeys("faultline-triage", "faultline-worker");
        deployments.forEach((name, d) -> {
            var pod = d.getSpec().getTemplate().getSpec();
            Container c = pod.getContainers().get(0);
            String role = name.substring("faultline-".length());
            assertThat(c.getEnv()).as(name).anySatisfy(e -> {
                assertThat(e.getName()).isEqualTo("FAULTLINE_ROLE");
                assertThat(e.getValue()).isEqualTo(role);
            });
            assertThat(c.getLivenessProbe().getHttpGet().getPath()).as(name).isEqualTo("/q/health/live");
            assertThat(c.getReadinessProbe().getHttpGet().getPath()).as(name).isEqualTo("/q/health/ready");
            assertThat(d.getSpec().getTemplate().getMetadata().getLabels())
                    .as(name + " selector matches the pod")
                    .containsAllEntriesOf(d.getSpec().getSelector().getMatchLabels());
            assertThat(pod.getSecurityContext().getRunAsNonRoot())
                    .as(name + " non-root")
                    .isTrue();
            c.getEnvFrom()
                    .forEach(e -> assertThat(configMaps)
                            .as(name)
                            .contains(e.getConfigMapRef().getName()));
            c.getEnv().stream()
                    .filter(e -> e.getValueFrom() != null && e.getValueFrom().getSecretKeyRef() != null)
                    .forEach(e -> assertThat(secrets)
                            .as(name)
                            .contains(e.getValueFrom().getSecretKeyRef().getName()));
            Set<String> volumes = new java.util.HashSet<>();
            pod.getVolumes().forEach(v -> {
                volumes.add(v.getName());
                if (v.getPersistentVolumeClaim() != null) {
                    assertThat(claims)
                            .as(name)
                            .contains(v.getPersistentVolumeClaim().getClaimName());
                }
                if (v.getSecret() != null) {
                    assertThat(secrets).as(name).contains(v.getSecret().getSecretName());
                }
            });
            c.getVolumeMounts()
                    .forEach(m -> assertThat(volumes)
                            .as(name + " mount " + m.getName())
                            .contains(m.getName()));
        });
        var worker = deployments.get("faultline-worker").getSpec().getTemplate().getSpec();
        assertThat(worker.getVolumes())
                .anySatisfy(v -> assertThat(v.getPersistentVolumeClaim()).isNotNull());
        if (overlay.equals("prod")) {
            assertThat(worker.getContainers().get(0).getResources().getLimits()).containsKey("nvidia.com/gpu");
            assertThat(worker.getNodeSelector()).containsKey("nvidia.com/gpu.present");
            assertThat(worker.getTolerations())
                    .anySatisfy(t -> assertThat(t.getKey()).isEqualTo("nvidia.com/gpu"));
        } else {
            assertThat(worker.getContainers().get(0).getResources().getLimits()).doesNotContainKey("nvidia.com/gpu");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"dev", "prod"})
    void disruptionBudgetsAndServicesSelectTheDeployments(String overlay) throws Exception {
        List<JsonNode> docs = build(overlay);
        List<Map<String, String>> podLabels = docs.stream()
                .filter(d -> type(d).equals("apps/v1/Deployment"))
                .map(d -> typed(d, Deployment.class)
                        .getSpec()
                        .getTemplate()
                        .getMetadata()
                        .getLabels())
                .toList();
        List<PodDisruptionBudget> pdbs = docs.stream()
                .filter(d -> type(d).equals("policy/v1/PodDisruptionBudget"))
                .map(d -> typed(d, PodDisruptionBudget.class))
                .toList();
        assertThat(pdbs).hasSize(2);
        for (PodDisruptionBudget pdb : pdbs) {
            assertThat(podLabels)
                    .as(pdb.getMetadata().getName())
                    .anySatisfy(l -> assertThat(l)
                            .containsAllEntriesOf(pdb.getSpec().getSelector().getMatchLabels()));
        }
        List<Service> services = docs.stream()
                .filter(d -> type(d).equals("v1/Service"))
                .map(d -> typed(d, Service.class))
                .toList();
        for (Service s : services) {
            assertThat(podLabels)
                    .as(s.getMetadata().getName())
                    .anySatisfy(
                            l -> assertThat(l).containsAllEntriesOf(s.getSpec().getSelector()));
        }
        JsonNode monitor = single(docs, "monitoring.coreos.com/v1/ServiceMonitor");
        assertThat(fieldNames(monitor.path("spec")))
                .isSubsetOf("selector", "endpoints", "namespaceSelector", "jobLabel");
        Map<String, String> selector = YAML.convertValue(
                monitor.path("spec").path("selector").path("matchLabels"),
                new com.fasterxml.jackson.core.type.TypeReference<Map<String, String>>() {});
        JsonNode endpoint = monitor.path("spec").path("endpoints").get(0);
        assertThat(fieldNames(endpoint)).isSubsetOf("port", "path", "interval", "scrapeTimeout", "scheme");
        assertThat(endpoint.path("path").asText()).isEqualTo("/q/metrics");
        List<Service> scraped = services.stream()
                .filter(s -> s.getMetadata().getLabels().entrySet().containsAll(selector.entrySet()))
                .toList();
        assertThat(scraped)
                .extracting(s -> s.getMetadata().getName())
                .containsExactlyInAnyOrder("faultline", "faultline-worker");
        scraped.forEach(s -> assertThat(s.getSpec().getPorts())
                .anySatisfy(p ->
                        assertThat(p.getName()).isEqualTo(endpoint.path("port").asText())));
    }

    @ParameterizedTest
    @ValueSource(strings = {"dev", "prod"})
    void kedaScalesTheWorkersOnTheLagOfAttributionJobs(String overlay) throws Exception {
        List<JsonNode> docs = build(overlay);
        JsonNode so = single(docs, "keda.sh/v1alpha1/ScaledObject");
        JsonNode spec = so.path("spec");
        assertThat(fieldNames(spec))
                .isSubsetOf(
                        "scaleTargetRef",
                        "minReplicaCount",
                        "maxReplicaCount",
                        "pollingInterval",
                        "cooldownPeriod",
                        "idleReplicaCount",
                        "triggers",
                        "advanced",
                        "fallback");
        assertThat(spec.path("scaleTargetRef").path("name").asText()).isEqualTo("faultline-worker");
        assertThat(names(docs, "apps/v1/Deployment"))
                .contains(spec.path("scaleTargetRef").path("name").asText());
        JsonNode trigger = spec.path("triggers").get(0);
        assertThat(trigger.path("type").asText()).isEqualTo("kafka");
        JsonNode meta = trigger.path("metadata");
        assertThat(meta.path("topic").asText()).isEqualTo("attribution.jobs");
        assertThat(meta.path("consumerGroup").asText())
                .as("the worker's group id in application.properties")
                .isEqualTo(workerGroupId());
        meta.fields()
                .forEachRemaining(f -> assertThat(f.getValue().isTextual())
                        .as("KEDA metadata values are strings: " + f.getKey())
                        .isTrue());
        int partitions = TopicsFile.load(Path.of(TopicsFile.DEFAULT_PATH))
                .topic("attribution.jobs")
                .partitions();
        assertThat(spec.path("maxReplicaCount").asInt())
                .as("more workers than partitions would idle")
                .isLessThanOrEqualTo(partitions);
        String bootstrap = single(docs, "v1/ConfigMap")
                .path("data")
                .path("KAFKA_BOOTSTRAP_SERVERS")
                .asText();
        assertThat(meta.path("bootstrapServers").asText())
                .as("KEDA and the service read the same cluster")
                .isEqualTo(bootstrap);
        if (trigger.has("authenticationRef")) {
            assertThat(names(docs, "keda.sh/v1alpha1/TriggerAuthentication"))
                    .contains(trigger.path("authenticationRef").path("name").asText());
        }
    }

    @Test
    void prodCarriesTheStrimziTopicsOfTheTopicFile() throws Exception {
        List<JsonNode> topics = build("prod").stream()
                .filter(d -> type(d).equals("kafka.strimzi.io/v1beta2/KafkaTopic"))
                .toList();
        assertThat(topics)
                .extracting(t -> t.path("spec").path("topicName").asText())
                .containsExactlyInAnyOrderElementsOf(
                        TopicsFile.load(Path.of(TopicsFile.DEFAULT_PATH)).names());
    }

    @Test
    void anUnknownFieldIsCaught() throws Exception {
        ObjectNode d = (ObjectNode) build("dev").stream()
                .filter(x -> type(x).equals("apps/v1/Deployment"))
                .findFirst()
                .orElseThrow();
        ((ObjectNode) d.path("spec")).put("replica", 3);
        assertThatThrownBy(() -> typed(d, Deployment.class)).hasMessageContaining("replica");
        ObjectNode e = (ObjectNode) build("dev").stream()
                .filter(x -> type(x).equals("apps/v1/Deployment"))
                .findFirst()
                .orElseThrow();
        ((ObjectNode) e.path("spec")
                        .path("template")
                        .path("spec")
                        .path("containers")
                        .get(0))
                .putObject("livenessProbe")
                .putObject("httpGet")
                .put("paht", "/q/health/live");
        assertThatThrownBy(() -> typed(e, Deployment.class)).hasMessageContaining("paht");
    }

    static String workerGroupId() throws Exception {
        var props = new java.util.Properties();
        try (var in = java.nio.file.Files.newInputStream(Path.of("src/main/resources/application.properties"))) {
            props.load(in);
        }
        return props.getProperty(
                "mp.messaging.incoming.attribution-jobs.group.id", props.getProperty("quarkus.application.name"));
    }

    static JsonNode single(List<JsonNode> docs, String type) {
        List<JsonNode> found = docs.stream().filter(d -> type(d).equals(type)).toList();
        assertThat(found).as(type).hasSize(1);
        return found.get(0);
    }

    static Set<String> names(List<JsonNode> docs, String type) {
        return docs.stream()
                .filter(d -> type(d).equals(type))
                .map(d -> d.path("metadata").path("name").asText())
                .collect(java.util.stream.Collectors.toSet());
    }

    static List<String> fieldNames(JsonNode n) {
        List<String> out = new ArrayList<>();
        n.fieldNames().forEachRemaining(out::add);
        return out;
    }
}
