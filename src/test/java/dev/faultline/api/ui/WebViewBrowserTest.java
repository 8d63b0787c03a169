package dev.faultline.api.ui;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.faultline.contract.AttributionResult;
import dev.faultline.embedded.LocalServicesResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The web view in real headless Chromium (DevTools protocol): the failure page's heatmap has one element per token
 * with red for positive and blue for negative relevance (computed styles, after the page's scripts ran), the prompt's
 * {@code <script>} stays text (no dialog opens), and the runs page receives live updates over server-sent events.
 * Screenshots go to {@code target/webview-*.png}. Skips when no Chromium is installed.
 */
@QuarkusTest
@WithTestResource(LocalServicesResource.class)
class WebViewBrowserTest {

    @TestHTTPResource("/")
    URI root;

    static Path chromium;

    @BeforeAll
    static void findChromium() {
        chromium = Chromium.find().orElse(null);
        Assumptions.assumeTrue(
                chromium != null,
                "no Chromium installed (apt-get install chromium; .ci/run installs it): browser test skipped");
    }

    @Test
    void failureHeatmapHasOneElementPerTokenColouredBySign() throws Exception {
        AttributionResult r =
                UiResults.attributed("webview/browser-1", "webview/run-b", "webview-model-b", "main", null);
        UiResults.publish(r);
        try (Chromium browser = Chromium.start(chromium, 1280, 900)) {
            browser.navigate(root.resolve(Links.failure(r.eventId())).toString());
            // failure.js has run once the graph lookup answered (no graph exists here: it offers to compute one)
            browser.waitFor(
                    "!document.getElementById('graph-status').textContent.startsWith('Looking')",
                    Duration.ofSeconds(30));
            JsonNode page = browser.evaluate("""
                    (() => {
                      const toks = [...document.querySelectorAll('#heatmap .tok')];
                      return {
                        ids: toks.map(t => t.dataset.tokenId),
                        relevance: toks.map(t => Number(t.dataset.relevance)),
                        colours: toks.map(t => getComputedStyle(t).backgroundColor),
                        titles: toks.map(t => t.title),
                        scriptText: toks[3].textContent,
                        scriptsInHeatmap: document.querySelectorAll('#heatmap script').length,
                        graph: document.getElementById('graph-status').textContent
                      };
                    })()""");
            assertThat(page.get("ids")).hasSize(r.tokens().size());
            List<int[]> colours = new ArrayList<>();
            for (int i = 0; i < r.tokens().size(); i++) {
                assertThat(page.get("ids").get(i).asText())
                        .isEqualTo(Integer.toString(r.tokens().get(i).id()));
                assertThat(page.get("relevance").get(i).asDouble())
                        .isEqualTo(r.tokens().get(i).relevance());
                assertThat(page.get("titles").get(i).asText())
                        .contains("id " + r.tokens().get(i).id());
                colours.add(rgb(page.get("colours").get(i).asText()));
            }
            int positives = 0;
            int negatives = 0;
            for (int i = 1; i < r.tokens().size(); i++) { // the first token is clipped (attention sink)
                double rel = r.tokens().get(i).relevance();
                int[] c = colours.get(i);
                if (rel > 0.05) {
                    assertThat(c[0])
                            .as(
                                    "token %d (relevance %s) is red: %s",
                                    i, rel, page.get("colours").get(i))
                            .isGreaterThan(c[2]);
                    positives++;
                } else if (rel < -0.05) {
                    assertThat(c[2])
                            .as(
                                    "token %d (relevance %s) is blue: %s",
                                    i, rel, page.get("colours").get(i))
                            .isGreaterThan(c[0]);
                    negatives++;
                }
            }
            assertThat(positives).isGreaterThanOrEqualTo(3);
            assertThat(negatives).isGreaterThanOrEqualTo(3);
            // the strongest negative token (" Tom", -1.0) is the darkest blue of the scale
            assertThat(colours.get(4)).containsExactly(33, 102, 172);
            assertThat(page.get("scriptText").asText()).isEqualTo(" " + UiResults.SCRIPT);
            assertThat(page.get("scriptsInHeatmap").asInt()).isZero();
            assertThat(page.get("graph").asText()).contains("No graph");
            assertThat(browser.events).noneMatch(e -> e.path("method").asText().equals("Page.javascriptDialogOpening"));
            // the inspector shows a token's details on hover (written with textContent)
            JsonNode inspected = browser.evaluate("""
                    (() => {
                      const t = document.querySelectorAll('#heatmap .tok')[4];
                      t.dispatchEvent(new MouseEvent('mouseover', {bubbles: true}));
                      return document.getElementById('inspector').textContent;
                    })()""");
            assertThat(inspected.asText()).contains("“␣Tom”").contains("id 104").contains("-1.0000");
            Path shot = Path.of("target", "webview-failure.png");
            browser.screenshot(shot);
            assertThat(Files.size(shot)).isGreaterThan(10_000);
        }
    }

    @Test
    void graphViewDrawsNodesAndEdgesFromTheGraphJson() throws Exception {
        AttributionResult r =
                UiResults.attributed("webview/browser-graph", "webview/run-b", "webview-model-b", "main", null);
        UiResults.publish(r);
        // the graph endpoint is not under test here; the browser answers it with a small graph of the documented shape
        String graph = """
                {"nodes":[{"id":"0:input:3","layer":0,"stage":"input","position":3,"relevance":0.5},
                          {"id":"0:input:4","layer":0,"stage":"input","position":4,"relevance":-0.9},
                          {"id":"0:post_attention:13","layer":0,"stage":"post_attention","position":13,"relevance":0.2},
                          {"id":"1:input:13","layer":1,"stage":"input","position":13,"relevance":0.4}],
                 "edges":[{"source":"0:input:3","target":"0:post_attention:13","weight":0.6},
                          {"source":"0:input:4","target":"0:post_attention:13","weight":-0.3},
                          {"source":"0:post_attention:13","target":"1:input:13","weight":0.4}],
                 "pruning":[]}""";
        try (Chromium browser = Chromium.start(chromium, 1280, 900)) {
            browser.fulfil("/graph", graph);
            browser.navigate(root.resolve(Links.failure(r.eventId())).toString());
            browser.waitFor("document.querySelector('#graph-view svg') !== null", Duration.ofSeconds(30));
            JsonNode g = browser.evaluate("""
                    (() => {
                      const svg = document.querySelector('#graph-view svg');
                      const lines = [...svg.querySelectorAll('line')];
                      return {circles: svg.querySelectorAll('circle').length, lines: lines.length,
                              widths: lines.map(l => Number(l.getAttribute('stroke-width'))),
                              strokes: lines.map(l => l.getAttribute('stroke')),
                              labels: [...svg.querySelectorAll('text')].map(t => t.firstChild.nodeValue),
                              titles: [...svg.querySelectorAll('text > title')].map(t => t.textContent),
                              scripts: svg.querySelectorAll('script').length,
                              status: document.getElementById('graph-status').textContent};
                    })()""");
            assertThat(g.get("circles").asInt()).isEqualTo(4);
            assertThat(g.get("lines").asInt()).isEqualTo(3);
            assertThat(g.get("widths").get(0).asDouble())
                    .isGreaterThan(g.get("widths").get(1).asDouble());
            assertThat(g.get("strokes").get(0).asText()).isEqualTo("#b2182b");
            assertThat(g.get("strokes").get(1).asText()).isEqualTo("#2166ac");
            List<String> labels = new ArrayList<>();
            g.get("labels").forEach(n -> labels.add(n.asText()));
            assertThat(labels).contains("L0", "L0 attn", "L1", " Tom 4", "…alert(1)</script> 3");
            List<String> titles = new ArrayList<>();
            g.get("titles").forEach(n -> titles.add(n.asText()));
            assertThat(titles).contains("token  " + UiResults.SCRIPT + " at position 3");
            assertThat(g.get("scripts").asInt()).isZero();
            assertThat(g.get("status").asText()).startsWith("4 nodes, 3 edges");
            assertThat(browser.events).noneMatch(e -> e.path("method").asText().equals("Page.javascriptDialogOpening"));
            browser.screenshot(Path.of("target", "webview-graph.png"));
        }
    }

    @Test
    void runsPageAddsANewRunLiveOverServerSentEvents() throws Exception {
        UiResults.publish(
                UiResults.correct("webview/browser-live-0", "webview/run-live-a", "webview-model-b", "main", null));
        try (Chromium browser = Chromium.start(chromium, 1280, 900)) {
            browser.navigate(root.resolve("/ui").toString());
            browser.waitFor("document.getElementById('live').textContent === 'Live'", Duration.ofSeconds(30));
            assertThat(browser.evaluate(
                                    "document.querySelectorAll('#runs tr[data-run-id=\"webview/run-live-b\"]').length")
                            .asInt())
                    .isZero();
            UiResults.publish(UiResults.attributed(
                    "webview/browser-live-1", "webview/run-live-b", "webview-model-b", "main", null));
            browser.waitFor(
                    "document.querySelectorAll('#runs tr[data-run-id=\"webview/run-live-b\"]').length === 1",
                    Duration.ofSeconds(30));
            JsonNode row = browser.evaluate("""
                    (() => {
                      const tr = document.querySelector('#runs tr[data-run-id="webview/run-live-b"]');
                      return {accuracy: tr.querySelector('.c-accuracy').textContent,
                              coverage: tr.querySelector('.c-coverage').textContent,
                              failures: tr.querySelector('.c-failures').textContent,
                              link: tr.querySelector('.c-run a').getAttribute('href')};
                    })()""");
            assertThat(row.get("accuracy").asText()).isEqualTo("0.0 %");
            assertThat(row.get("coverage").asText()).isEqualTo("100.0 %");
            assertThat(row.get("failures").asText()).contains("ATTRIBUTED 1");
            assertThat(row.get("link").asText()).isEqualTo("/ui/runs/webview/run-live-b");
            browser.screenshot(Path.of("target", "webview-runs.png"));
        }
    }

    static int[] rgb(String css) {
        Matcher m = Pattern.compile("rgba?\\((\\d+), (\\d+), (\\d+)").matcher(css);
        assertThat(m.find()).as(css).isTrue();
        return new int[] {Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3))};
    }
}
