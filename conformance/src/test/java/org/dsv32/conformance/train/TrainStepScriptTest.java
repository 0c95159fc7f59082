package org.dsv32.conformance.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.List;
import org.dsv32.reference.train.ReferenceTrainStep;
import org.dsv32.spec.backend.PrecisionMode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The train-step script: defaults, and one line naming the file and the key for every kind of mistake. */
class TrainStepScriptTest {
    private static TrainStepScript parse(String json) throws IOException { return TrainStepScript.parse(new ObjectMapper().readTree(json), "s.json"); }

    @Test
    void defaultsAreBothModesSparseStageAndMtpAtLambdaPointThree() throws IOException {
        TrainStepScript s = parse("{\"tokens\": [1, 2, 3], \"layer\": 0}");
        assertEquals(List.of(PrecisionMode.EXACT, PrecisionMode.FP8), s.modes());
        assertEquals(ReferenceTrainStep.Stage.SPARSE, s.stage());
        assertTrue(s.mtp());
        assertEquals(0.3, s.lambda());
        assertEquals(List.of(PrecisionMode.EXACT, PrecisionMode.FP8), parse("{\"tokens\": [1], \"layer\": 0, \"modes\": [\"fp8\", \"exact\"]}").modes(),
                "exact runs first: fp8 replays its decisions");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "{\"tokens\": [1], \"layer\": 0, \"lyer\": 1}|lyer",
            "{\"layer\": 0}|tokens",
            "{\"tokens\": [1, -2], \"layer\": 0}|tokens[1]",
            "{\"tokens\": [1]}|layer",
            "{\"tokens\": [1], \"layer\": 0, \"modes\": [\"bf16\"]}|modes[0]",
            "{\"tokens\": [1], \"layer\": 0, \"modes\": [\"fp8\", \"fp8\"]}|modes[1]",
            "{\"tokens\": [1], \"layer\": 0, \"indexer_stage\": \"warm\"}|indexer_stage",
            "{\"tokens\": [1], \"layer\": 0, \"mtp\": \"yes\"}|mtp",
            "{\"tokens\": [1], \"layer\": 0, \"mtp_lambda\": -1}|mtp_lambda"})
    void aMistakeNamesTheFileAndTheKey(String json, String key) {
        IOException e = assertThrows(IOException.class, () -> parse(json));
        assertTrue(e.getMessage().startsWith("s.json: ") && e.getMessage().contains(key), e.getMessage());
    }
}
