package dev.faultline.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.faultline.store.ResultsTopicUnavailableException;
import org.junit.jupiter.api.Test;

/** What a refusal and an unanswered results topic look like on the wire. */
class ApiErrorsTest {

    @Test
    void anUnansweredResultsTopicIsA503WithRetryAfterAndTheReason() {
        var response = new ApiErrors().topicUnavailable(new ResultsTopicUnavailableException("no answer in 10 s"));
        assertThat(response.getStatus()).isEqualTo(503);
        assertThat(response.getHeaderString("Retry-After"))
                .isEqualTo(String.valueOf(ResultsTopicUnavailableException.RETRY_AFTER_SECONDS));
        assertThat(response.getEntity().error()).isEqualTo("no answer in 10 s");
    }

    @Test
    void aRefusalWithoutRetryAfterHasNoSuchHeader() {
        var response = new ApiErrors().refused(ApiException.notFound("no result for event 'x' yet"));
        assertThat(response.getStatus()).isEqualTo(404);
        assertThat(response.getHeaderString("Retry-After")).isNull();
        assertThat(response.getEntity().error()).isEqualTo("no result for event 'x' yet");
    }
}
