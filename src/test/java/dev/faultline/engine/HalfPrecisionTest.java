package dev.faultline.engine;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * float16 compute against float32 on the same inputs: the real TinyStories-260K and the first cloze failures of its
 * evaluation run. float16 stores and multiplies with 11 mantissa bits; relevance is still read out as value ⊙
 * gradient in float64. What the test holds them to is what they deliver here, with margin
 * (the measured figures are printed, and in bench/RESULTS.md): Δℓ within 5 % of |Δℓ| + 0.05, input relevance with a
 * Pearson correlation above 0.999 to float32's and no token off by 5 % of the largest |relevance|, and the
 * conservation identity within 1 % of the largest |relevance|.
 */
class HalfPrecisionTest {

    private static LanguageModel f32;
    private static final List<LanguageModel> HALF = new ArrayList<>(); // float16 (bfloat16: see DType)
    private static AttributionEngine engine;

    @BeforeAll
    static void load() {
        Path dir = SharedFiles.require("models/tinystories-260k");
        String device = System.getProperty("engine.test.device", "cpu");
        f32 = ModelLoader.load(dir, DType.FLOAT32, device);
        HALF.add(ModelLoader.load(dir, DType.FLOAT16, device));
        engine = new AttributionEngine(2);
    }

    @AfterAll
    static void close() {
        if (engine != null) {
            engine.close();
        }
        if (f32 != null) {
            f32.close();
        }
        HALF.forEach(LanguageModel::close);
    }

    @Test
    void halfTypesAgreeWithFloat32() throws IOException {
        Path expected = SharedFiles.require("data/tinystories-cloze/expected.jsonl");
        ObjectMapper json = new ObjectMapper();
        int cases = 0;
        try (BufferedReader r = Files.newBufferedReader(expected)) {
            for (String line = r.readLine(); line != null && cases < 8; line = r.readLine()) {
                JsonNode e = json.readTree(line);
                JsonNode o = e.get("oracle"); // the reference attribution: its ids, position and pair
                if (o == null || o.isNull()) {
                    continue;
                }
                int[] ids = GoldenCasesTest.ints(o.get("ids"));
                AttributionRequest req = new AttributionRequest(
                        ids,
                        o.get("position").asInt(),
                        o.get("wrong").asInt(),
                        o.get("correct").asInt(),
                        Method.ATTNLRP,
                        SoftmaxRule.ATTNLRP,
                        0,
                        0L,
                        0.0,
                        5);
                Attribution ref = engine.attribute(f32, req);
                double scale = GoldenCasesTest.maxAbs(ref.inputRelevance());
                for (LanguageModel half : HALF) {
                    Attribution a = engine.attribute(half, req);
                    double corr = pearson(ref.inputRelevance(), a.inputRelevance());
                    double dev = 0;
                    for (int i = 0; i < ids.length; i++) {
                        dev = Math.max(dev, Math.abs(a.inputRelevance()[i] - ref.inputRelevance()[i]) / scale);
                    }
                    System.out.printf(
                            "%s %s: Δℓ %.4f vs float32 %.4f, input relevance r = %.6f, max deviation %.2e "
                                    + "of max |R|, identity residual %.2e (max |R| %.3f)%n",
                            half.dtype().label(),
                            e.get("event_id").asText(),
                            a.logitDiff(),
                            ref.logitDiff(),
                            corr,
                            dev,
                            a.identityResidual(),
                            scale);
                    assertThat(a.logitDiff())
                            .as(half.dtype() + " Δℓ")
                            .isCloseTo(
                                    ref.logitDiff(),
                                    org.assertj.core.data.Offset.offset(0.05 * Math.abs(ref.logitDiff()) + 0.05));
                    assertThat(corr).as(half.dtype() + " correlation").isGreaterThan(0.999);
                    assertThat(dev).as(half.dtype() + " largest deviation").isLessThan(0.05);
                    assertThat(Math.abs(a.identityResidual()))
                            .as(half.dtype() + " identity")
                            .isLessThan(0.01 * scale);
                }
                cases++;
            }
        }
        assertThat(cases).as("cloze failures with ids").isPositive();
    }

    private static double pearson(double[] a, double[] b) {
        double ma = 0;
        double mb = 0;
        for (int i = 0; i < a.length; i++) {
            ma += a[i] / a.length;
            mb += b[i] / b.length;
        }
        double sab = 0;
        double saa = 0;
        double sbb = 0;
        for (int i = 0; i < a.length; i++) {
            sab += (a[i] - ma) * (b[i] - mb);
            saa += (a[i] - ma) * (a[i] - ma);
            sbb += (b[i] - mb) * (b[i] - mb);
        }
        return sab / Math.sqrt(saa * sbb);
    }
}
