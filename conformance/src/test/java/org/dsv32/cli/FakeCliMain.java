package org.dsv32.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * The main class of the stand-in CLI jar that {@link LauncherConcurrencyTest} has its fake build write: prints
 * {@code fake-cli}, the label the jar carries and the arguments, so the test sees which jar a launcher ran.
 */
public final class FakeCliMain {
    /** Name of the jar entry holding the label. */
    static final String LABEL_ENTRY = "fake-cli-label.txt";

    private FakeCliMain() {}

    public static void main(String[] args) throws IOException {
        try (InputStream in = FakeCliMain.class.getResourceAsStream("/" + LABEL_ENTRY)) {
            String label = in == null ? "(no label)" : new String(in.readAllBytes(), StandardCharsets.UTF_8);
            System.out.println("fake-cli " + label + " " + String.join(" ", args));
        }
    }
}
