package org.dsv32.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.dsv32.conformance.train.TrainStepReport;
import org.dsv32.conformance.train.TrainStepScript;
import org.dsv32.spec.checkpoint.CheckpointLoader;
import org.dsv32.spec.io.OutputFiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ./dsv32 train-step}: one training step's losses and one block's gradients, FP8 against exact. */
@Command(name = "train-step", mixinStandardHelpOptions = true,
        description = {"One teacher-forced training step on the float64 reference: the language-model loss, the MTP loss and the",
                "indexer loss, and every weight gradient of one block in exact and FP8 modes (FP8 forward, FP8 Dgrad/Wgrad GEMMs),",
                "with per tensor calc_diff and ||g_fp8 - g_exact|| / ||g_exact||."})
final class TrainStepCommand implements Callable<Integer> {
    @Option(names = "--checkpoint", required = true, description = "Hugging Face-layout checkpoint directory (config.json + safetensors)")
    Path checkpoint;

    @Option(names = "--script", required = true, description = "JSON: {\"tokens\": [ids], \"layer\": N, \"modes\": [\"exact\", \"fp8\"], "
            + "\"indexer_stage\": \"dense\"|\"sparse\", \"mtp\": true, \"mtp_lambda\": 0.3}")
    Path script;

    @Option(names = "--json", paramLabel = "FILE", description = "also write the results as JSON")
    Path json;

    @Override
    public Integer call() throws Exception {
        if (json != null) OutputFiles.checkFile(json);
        CliErrors.requireInput(script, "script");
        TrainStepScript s = TrainStepScript.read(script);
        TrainStepReport report;
        try (CheckpointLoader ckpt = CheckpointLoader.open(checkpoint, false)) {
            if (s.mtp() && ckpt.weights().mtp().isEmpty()) {
                throw new IllegalArgumentException(script + ": \"mtp\" is true but the checkpoint " + checkpoint + " has no MTP layer");
            }
            try {
                report = TrainStepReport.run(ckpt.weights(), s);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(script + ": " + e.getMessage(), e);
            }
        }
        report.print(System.out);
        if (json != null) {
            OutputFiles.writeBytes(json, new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsBytes(report.json()));
            System.out.println("wrote " + Printable.of(json));
        }
        return 0;
    }
}
