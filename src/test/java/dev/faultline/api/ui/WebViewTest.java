package dev.faultline.api.ui;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.not;

import dev.faultline.contract.AttributionStatus;
import dev.faultline.contract.EvalOutput;
import dev.faultline.embedded.LocalServicesResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;
import org.junit.jupiter.api.Test;

/** The HTML pages of the web view, fed with known results through {@code attribution.results} and the run index. */
@QuarkusTest
@WithTestResource(LocalServicesResource.class)
class WebViewTest {

    @TestHTTPResource("/")
    URI root;

    static Document html(String path, int status) {
        String body = given().when()
                .get(path)
                .then()
                .statusCode(status)
                .contentType(containsString("text/html"))
                .extract()
                .asString();
        return Jsoup.parse(body);
    }

    @Test
    void failurePageRendersOneHeatmapCellPerTokenWithEscapedText() throws Exception {
        var r = UiResults.attributed("webview/failure-1", "webview/run-f", "webview-model-f", "main", null);
        UiResults.publish(r);
        String body = given().when()
                .get(Links.failure(r.eventId()))
                .then()
                .statusCode(200)
                .extract()
                .asString();
        // the prompt's <script> is text, never markup
        assertThat(body).contains("&lt;script&gt;alert(1)&lt;/script&gt;").doesNotContain("<script>alert(1)");
        Document doc = Jsoup.parse(body);
        List<Element> cells = doc.select("#heatmap .tok");
        assertThat(cells).hasSize(r.tokens().size());
        for (int i = 0; i < cells.size(); i++) {
            Element c = cells.get(i);
            assertThat(c.attr("data-token-id"))
                    .isEqualTo(Integer.toString(r.tokens().get(i).id()));
            assertThat(Double.parseDouble(c.attr("data-relevance")))
                    .isEqualTo(r.tokens().get(i).relevance());
            assertThat(c.attr("title")).contains("id " + r.tokens().get(i).id()).contains("relevance");
        }
        assertThat(cells.get(3).wholeText()).isEqualTo(" " + UiResults.SCRIPT); // the DOM holds the literal text
        assertThat(cells.get(3).children()).isEmpty();
        // colours: the first (special) token is excluded from the scale; " Tom" (-1.0) is the max |relevance|
        assertThat(cells.get(4).attr("style")).contains("background-color: rgb(33, 102, 172)");
        assertThat(cells.get(1).attr("style")).contains("rgb("); // +0.9: red side
        int[] pos = rgb(cells.get(1).attr("style"));
        int[] neg = rgb(cells.get(11).attr("style"));
        assertThat(pos[0]).isGreaterThan(pos[2]);
        assertThat(neg[2]).isGreaterThan(neg[0]);
        assertThat(cells.get(0).hasClass("tok-clipped")).isTrue();
        // segments outlined, pair, top tokens, conservation, faithfulness verdict, raw JSON link
        assertThat(doc.select("#heatmap .seg[data-segment]").eachAttr("data-segment"))
                .containsExactly("context", "evidence", "query", "answer");
        assertThat(doc.select("#segment-bars g.bar")).hasSize(4);
        assertThat(doc.select("#wrong-token").text()).isEqualTo("␣Lily");
        assertThat(doc.select("#contrast-token").text()).isEqualTo("␣Tom");
        assertThat(doc.select("#top-tokens tbody tr")).hasSize(3);
        assertThat(doc.select("#top-tokens tr.role-wrong").text()).contains("9.500");
        assertThat(doc.select("#top-tokens tr.role-contrast").text()).contains("␣Tom");
        assertThat(doc.select("#conservation").text()).contains("+2.5100").contains("+0.7000");
        assertThat(doc.select("#faith-verdict").text())
                .contains("Zeroing the 5 most relevant tokens moved Δℓ no more than 5 random tokens did")
                .contains("treat this heatmap as unreliable");
        assertThat(doc.select("a#raw-json").attr("href")).isEqualTo("/api/attributions/webview/failure-1");
        assertThat(doc.select("svg polyline")).hasSize(3);
        assertThat(doc.select("#graph").attr("data-graph-href")).isEqualTo("/api/attributions/webview/failure-1/graph");
        assertThat(doc.select("script[src]").eachAttr("src")).containsExactly("/assets/failure.js");
    }

    @Test
    void skippedFailureShowsPairDeltaRankAndReasonWithoutHeatmap() throws Exception {
        var r = UiResults.lowLogitDiff("webview/low-1", "webview/run-l", "webview-model-l", "main", null, 0.4);
        UiResults.publish(r);
        Document doc = html(Links.failure(r.eventId()), 200);
        assertThat(doc.select("#heatmap")).isEmpty();
        assertThat(doc.select("#wrong-token").text()).isEqualTo("␣<b>Sue");
        assertThat(doc.select("#logit-diff").text()).isEqualTo("+0.400");
        assertThat(doc.select(".pair-line").text()).contains("ranked 3");
        assertThat(doc.select("#reason").text()).isEqualTo("Δℓ 0.4 <= min-logit-diff 1.0 <i>");
        assertThat(doc.select("#na-h")).hasSize(1);
        String raw =
                given().when().get(Links.failure(r.eventId())).then().extract().asString();
        assertThat(raw).contains("&lt;b&gt;Sue").contains("1.0 &lt;i&gt;").doesNotContain("<b>Sue");
    }

    @Test
    void failureTheModelWouldNotHaveChosenSaysSoAndShowsTheMarkedText() throws Exception {
        var s = FailureViewTest.skipped(-0.7, AttributionStatus.LOW_LOGIT_DIFF);
        var b = s.toBuilder();
        b.eventId = "webview/negative-1";
        b.runId = "webview/run-n";
        b.model = new EvalOutput.ModelRef("webview-model-n", "main", null);
        b.producedAt = "2026-11-24T11:00:00Z";
        b.attributedAt = "2026-11-24T11:00:01Z";
        var r = b.build();
        UiResults.publish(r);
        Document doc = html(Links.failure(r.eventId()), 200);
        assertThat(doc.select(".pair-line").text())
                .contains("not what this model would have chosen")
                .doesNotContain("preferred");
        assertThat(doc.select("#heatmap")).isEmpty();
        assertThat(doc.select("#plain-text").text()).contains("Q: eggs?").contains("#### 16");
        assertThat(doc.select("#plain-text .plain-error").text()).isEqualTo("6");
        assertThat(doc.select("#plain-text .plain-answer").eachText()).containsExactly("1", "6");
    }

    @Test
    void unknownEventRunAndModelGive404Pages() {
        assertThat(html("/ui/attributions/webview/none", 404).select("h1").text())
                .isEqualTo("No result yet");
        assertThat(html("/ui/runs/webview/none", 404).select("h1").text()).isEqualTo("No such run");
        assertThat(html("/ui/models/webview-none", 404).select("h1").text()).isEqualTo("No such model");
        given().when()
                .get("/ui/attributions/<script>x")
                .then()
                .statusCode(404)
                .body(containsString("&lt;script&gt;x"))
                .body(not(containsString("<script>x")));
    }

    @Test
    void runPageListsFailuresNewestFirstPagedAndFiltered() throws Exception {
        String run = "webview/run-p";
        var a1 = UiResults.attributed("webview/p-1", run, "webview-model-p", "main", null);
        var low = UiResults.lowLogitDiff("webview/p-2", run, "webview-model-p", "main", null, 0.5);
        var ok = UiResults.correct("webview/p-3", run, "webview-model-p", "main", null);
        UiResults.publish(a1, low, ok);
        Document doc = html(Links.run(run), 200);
        assertThat(doc.select("#failures tbody tr").eachAttr("data-event-id"))
                .containsExactly("webview/p-2", "webview/p-1"); // produced 11:00 before 10:00
        Element attributed = doc.selectFirst("#failures tr[data-event-id=webview/p-1]");
        assertThat(attributed.select("a").attr("href")).isEqualTo("/ui/attributions/webview/p-1");
        assertThat(attributed.select("a").text()).contains(UiResults.SCRIPT);
        assertThat(attributed.select(".pair").text()).isEqualTo("␣Lily → ␣Tom");
        assertThat(attributed.text()).contains("+3.25").contains("not informative");
        assertThat(doc.select(".facts").text()).contains("50.0 %").contains("(1 of 2 failures)");
        assertThat(html(Links.run(run) + "?status=ATTRIBUTED", 200)
                        .select("#failures tbody tr")
                        .eachAttr("data-event-id"))
                .containsExactly("webview/p-1");
        Document page2 = html(Links.run(run) + "?size=1&page=1", 200);
        assertThat(page2.select("#failures tbody tr").eachAttr("data-event-id")).containsExactly("webview/p-1");
        assertThat(page2.select(".pager a[rel=prev]").attr("href")).isEqualTo("/ui/runs/webview/run-p?size=1&page=0");
        assertThat(page2.select(".pager").text()).contains("2–2 of 2");
        html(Links.run(run) + "?status=NOPE", 400);
        html(Links.run(run) + "?size=0", 400);
    }

    @Test
    void runsPageShowsCountsAndStreamsUpdates() throws Exception {
        String run = "webview/run-s";
        UiResults.publish(UiResults.correct("webview/s-1", run, "webview-model-s", "rev-a", null));
        Document doc = html("/ui", 200);
        Element row = doc.selectFirst("#runs tr[data-run-id=webview/run-s]");
        assertThat(row).isNotNull();
        assertThat(row.select(".c-accuracy").text()).isEqualTo("100.0 %");
        assertThat(row.select(".c-model a").attr("href")).isEqualTo("/ui/models/webview-model-s");
        assertThat(doc.select("script[src]").eachAttr("src")).containsExactly("/assets/runs.js");
        long version = Long.parseLong(doc.selectFirst("#runs").attr("data-version"));

        HttpClient client =
                HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        HttpRequest req = HttpRequest.newBuilder(root.resolve("/ui/stream?since=" + version))
                .header("Accept", "text/event-stream")
                .build();
        HttpResponse<Stream<String>> resp = client.send(req, HttpResponse.BodyHandlers.ofLines());
        assertThat(resp.headers().firstValue("content-type").orElse("")).startsWith("text/event-stream");
        CompletableFuture<String> update = CompletableFuture.supplyAsync(() -> resp.body()
                .filter(l -> l.startsWith("data:") && l.contains("webview/run-s"))
                .findFirst()
                .orElse(null));
        UiResults.publish(UiResults.attributed("webview/s-2", run, "webview-model-s", "rev-a", null));
        String data = update.get(30, TimeUnit.SECONDS).substring("data:".length());
        var json = UiResults.JSON.readTree(data);
        assertThat(json.get("runId").asText()).isEqualTo(run);
        assertThat(json.get("events").asInt()).isEqualTo(2);
        assertThat(json.get("accuracy").asText()).isEqualTo("50.0 %");
        assertThat(json.get("coverage").asText()).isEqualTo("100.0 %");
        assertThat(json.get("failures").get(0).get("status").asText()).isEqualTo("ATTRIBUTED");
        resp.body().close();
    }

    @Test
    void checkpointPageOrdersRevisionsAndAggregatesThem() throws Exception {
        String m = "webview-model-c";
        // main first, and seen before the rest (results of one publish may arrive over several partitions)
        UiResults.publish(UiResults.attributed("webview/c-main-1", "c/main", m, "main", null));
        org.awaitility.Awaitility.await()
                .atMost(java.time.Duration.ofSeconds(5))
                .pollInterval(java.time.Duration.ofMillis(100))
                .until(() -> html(Links.model(m), 200)
                                .select("#checkpoints tbody tr")
                                .size()
                        >= 1);
        UiResults.publish(
                UiResults.correct("webview/c-s200-1", "c/step200", m, "step200", null),
                UiResults.attributed("webview/c-s200-2", "c/step200", m, "step200", null),
                UiResults.lowLogitDiff("webview/c-s50-1", "c/step50", m, "step50", null, 0.5),
                UiResults.attributed("webview/c-s50-2", "c/step50", m, "step50", null),
                UiResults.correct("webview/c-late-1", "c/late", m, "late", 10L));
        Document doc = org.awaitility.Awaitility.await()
                .atMost(java.time.Duration.ofSeconds(5))
                .pollInterval(java.time.Duration.ofMillis(100))
                .until(
                        () -> html(Links.model(m), 200),
                        d -> d.select("#checkpoints tbody tr").size() == 4);
        // main (no number, seen first) first, then step (10) before names with numbers (50, 200)
        assertThat(doc.select("#checkpoints tbody tr").eachAttr("data-revision"))
                .containsExactly("main", "late", "step50", "step200");
        Element s50 = doc.selectFirst("#checkpoints tr[data-revision=step50]");
        List<String> cells = s50.select("td").stream().map(Element::text).toList();
        assertThat(cells.get(2)).isEqualTo("0.0 %"); // accuracy
        assertThat(cells.get(6)).isEqualTo("+1.875"); // median Δℓ of 0.5 and 3.25 (mean in the title)
        assertThat(s50.select("td").get(6).attr("title")).isEqualTo("mean +1.875");
        assertThat(doc.select("#checkpoints thead .seg-col").eachText())
                .containsExactly("context", "evidence", "query", "answer");
        assertThat(s50.select("td.share").eachText()).containsExactly("+1.20", "-0.73", "+0.30", "+0.80");
        assertThat(doc.selectFirst("#checkpoints tr[data-revision=step200]")
                        .select("td")
                        .get(2)
                        .text())
                .isEqualTo("50.0 %");
        assertThat(doc.select("#trajectories")).hasSize(1);
        // the tracking section (#trajectories) adds charts of its own when the model has tracked failures
        assertThat(doc.select("svg.chart").size()
                        - doc.select("#trajectories svg.chart").size())
                .isEqualTo(3);
    }

    static int[] rgb(String style) {
        Matcher m = Pattern.compile("background-color: rgb\\((\\d+), (\\d+), (\\d+)\\)")
                .matcher(style);
        assertThat(m.find()).as(style).isTrue();
        return new int[] {Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3))};
    }
}
