package dev.faultline.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** The engine's options come from a property lookup the caller passes, never from the process's own properties. */
class EngineOptionsTest {

    @Test
    void scoreChunkBytesFromTheLookupOrTheDefault() {
        assertThat(EngineOptions.from(Map.<String, String>of()::get)).isEqualTo(EngineOptions.DEFAULTS);
        assertThat(EngineOptions.DEFAULTS.scoreChunkBytes()).isEqualTo(16L << 20);
        assertThat(EngineOptions.from(Map.of(EngineOptions.SCORE_CHUNK_PROPERTY, " 4096 ")::get)
                        .scoreChunkBytes())
                .isEqualTo(4096);
    }

    @Test
    void malformedOrNonPositiveValuesAreRefusedNamingTheProperty() {
        assertThatThrownBy(() -> EngineOptions.from(Map.of(EngineOptions.SCORE_CHUNK_PROPERTY, "16M")::get))
                .hasMessageContaining(EngineOptions.SCORE_CHUNK_PROPERTY)
                .hasMessageContaining("16M");
        assertThatThrownBy(() -> new EngineOptions(0)).hasMessageContaining("must be positive");
    }

    @Test
    void deviceParsesItsSpellingsAndNamesTheChoices() {
        assertThat(Device.parse("CPU")).isEqualTo(Device.CPU);
        assertThat(Device.parse(" cuda")).isEqualTo(Device.GPU);
        assertThat(Device.GPU.label()).isEqualTo("gpu");
        assertThatThrownBy(() -> Device.parse("tpu")).hasMessage("device must be cpu or gpu, got 'tpu'");
    }
}
