package dev.faultline.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.faultline.contract.EvalOutput;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class AdditionSuiteTest {

    private final AdditionSuite suite = new AdditionSuite(2, 6);

    @Test
    void answerIsTheSumLeastSignificantDigitFirst() {
        AdditionProblem p = new AdditionProblem("347", "85");
        assertThat(p.prompt()).isEqualTo("743+58=");
        assertThat(p.answer()).isEqualTo("234");
        assertThat(new AdditionProblem("999", "1").answer()).isEqualTo("0001");
        assertThat(new AdditionProblem("10", "10").answer()).isEqualTo("02");
    }

    @Test
    void operandsWithLeadingZerosAreRejected() {
        assertThatThrownBy(() -> new AdditionProblem("07", "1")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new AdditionProblem("1a", "1")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void samplingIsSeededAndKeepsTheSplitApart() {
        List<AdditionProblem> a = suite.sample(7, 300, AdditionSuite.Split.HELD_OUT);
        assertThat(suite.sample(7, 300, AdditionSuite.Split.HELD_OUT)).isEqualTo(a);
        assertThat(suite.sample(8, 300, AdditionSuite.Split.HELD_OUT)).isNotEqualTo(a);
        assertThat(a).allMatch(AdditionSuite::isHeldOut).doesNotHaveDuplicates();
        List<AdditionProblem> train = suite.sample(7, 300, AdditionSuite.Split.TRAIN);
        assertThat(train).noneMatch(AdditionSuite::isHeldOut);
        assertThat(train)
                .allMatch(
                        p -> p.a().length() >= 2 && p.a().length() <= 6 && p.b().length() >= 2 && p.b().length() <= 6);
        // every length occurs
        assertThat(train.stream().map(AdditionProblem::maxDigits).distinct()).contains(2, 3, 4, 5, 6);
    }

    @Test
    void heldOutIsAboutATenthOfAllPairs() {
        long held = 0;
        for (int a = 10; a < 100; a++) {
            for (int b = 10; b < 100; b++) {
                if (AdditionSuite.isHeldOut(new AdditionProblem("" + a, "" + b))) {
                    held++;
                }
            }
        }
        assertThat(held).isBetween(650L, 970L);
    }

    @Test
    void causeIsTheDigitsAtThePositionAndTheCarryChainBelow() {
        // 1999 + 1 (asked as 9991+1=): digit sums 10, 9, 9, 1 from position 0: the carry into 3 comes from 0
        AdditionProblem p = new AdditionProblem("1999", "1");
        AdditionProblem.DigitCause c3 = p.cause(3);
        assertThat(c3.carryChain()).containsExactly(2, 1, 0);
        assertThat(c3.spanA()).containsExactly(0, 4);
        assertThat(c3.spanB()).containsExactly(5, 6);
        // position 1 of 347+85: digit sums 12 (pos 0) -> chain is just position 0
        AdditionProblem q = new AdditionProblem("347", "85");
        AdditionProblem.DigitCause c1 = q.cause(1);
        assertThat(c1.carryChain()).containsExactly(0);
        assertThat(q.prompt().substring(c1.spanA()[0], c1.spanA()[1])).isEqualTo("74");
        assertThat(q.prompt().substring(c1.spanB()[0], c1.spanB()[1])).isEqualTo("58");
        // position 2: a's digit 3 and pos 1 (4+8=12, not 9) -> chain stops at 1
        AdditionProblem.DigitCause c2 = q.cause(2);
        assertThat(c2.carryChain()).containsExactly(1);
        assertThat(q.prompt().substring(c2.spanA()[0], c2.spanA()[1])).isEqualTo("43");
        assertThat(q.prompt().substring(c2.spanB()[0], c2.spanB()[1])).isEqualTo("8");
        assertThat(c2.contains(q.charIndexA(2))).isTrue();
        assertThat(c2.contains(q.charIndexA(0))).isFalse();
        // position 0 has no carry chain
        assertThat(q.cause(0).carryChain()).isEmpty();
        assertThat(q.prompt().charAt(q.charIndexB(0))).isEqualTo('5');
        assertThat(q.causes()).extracting(AdditionProblem.DigitCause::position).containsExactly(0, 1, 2);
    }

    @Test
    void firstErrorPositionCountsMissingAndExtraDigits() {
        AdditionProblem p = new AdditionProblem("347", "85");
        assertThat(p.firstErrorPosition("234")).isEqualTo(-1);
        assertThat(p.firstErrorPosition("244")).isEqualTo(1);
        assertThat(p.firstErrorPosition("23")).isEqualTo(2);
        assertThat(p.firstErrorPosition("2341")).isEqualTo(3);
    }

    @Test
    void wrongAnswerBecomesAnEventWithCauseSegments() {
        AdditionProblem p = new AdditionProblem("347", "85");
        EvalOutput e = AdditionSuite.toEvent(
                p,
                "244",
                "demo-run",
                new EvalOutput.ModelRef("faultline-demo", "v1", null),
                Instant.parse("2026-11-24T12:00:00Z"));
        assertThat(e.schema()).isEqualTo(EvalOutput.SCHEMA);
        assertThat(e.prompt()).isEqualTo("743+58=");
        assertThat(e.references()).containsExactly("234");
        assertThat(e.scoring().method()).isEqualTo("exact");
        assertThat(e.correct()).isFalse();
        assertThat(e.eventId()).isEqualTo("demo-run:addition/347+85");
        assertThat(e.segments())
                .extracting(EvalOutput.Segment::name)
                .containsExactly("operand_a", "operand_b", "cause_a", "cause_b");
        assertThat(e.segments())
                .extracting(s -> e.prompt().substring(s.start(), s.end()))
                .containsExactly("743", "58", "74", "58");
        assertThat(e.error().outputCharIndex()).isEqualTo(1);
        assertThat(e.error().contrastText()).isEqualTo("3");
    }

    @Test
    void eventsPassTheEventSchema() throws Exception {
        dev.faultline.pipeline.EventValidator validator =
                new dev.faultline.pipeline.EventValidator(new dev.faultline.config.FaultlineConfig.Ingest() {
                    public int maxEventBytes() {
                        return 1 << 20;
                    }

                    public int maxPromptBytes() {
                        return 1 << 16;
                    }

                    public int maxOutputBytes() {
                        return 1 << 16;
                    }

                    public int maxReferences() {
                        return 8;
                    }

                    public int maxReferenceBytes() {
                        return 1 << 10;
                    }

                    @Override
                    public int maxTokenIds() {
                        return 1 << 10;
                    }

                    @Override
                    public int maxMessages() {
                        return 16;
                    }
                });
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        for (AdditionProblem p : suite.sample(3, 50, AdditionSuite.Split.HELD_OUT)) {
            for (String output : List.of(p.answer(), "9" + p.answer().substring(1), p.answer() + "1", "")) {
                EvalOutput e =
                        AdditionSuite.toEvent(p, output, "run", new EvalOutput.ModelRef("m", "v", 3L), Instant.EPOCH);
                assertThat(validator.validate(json.writeValueAsBytes(e))).isEqualTo(e);
            }
        }
    }

    @Test
    void rightAnswerBecomesACorrectEventWithoutCause() {
        AdditionProblem p = new AdditionProblem("347", "85");
        EvalOutput e = AdditionSuite.toEvent(p, "234", "r", new EvalOutput.ModelRef("m", "v", null), Instant.EPOCH);
        assertThat(e.correct()).isTrue();
        assertThat(e.error()).isNull();
        assertThat(e.segments()).extracting(EvalOutput.Segment::name).containsExactly("operand_a", "operand_b");
    }
}
