package org.dsv32.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code ./dsv32} command-line tool. */
@Command(name = "dsv32", mixinStandardHelpOptions = true, versionProvider = Dsv32.Version.class,
        description = "DeepSeek-V3.2 reference and optimized implementations for verification.",
        subcommands = {
                InfoCommand.class,
                InspectCommand.class,
                CompareCommand.class,
                TinyCheckpointCommand.class,
                AnalyzeCommand.class,
                LogitsCommand.class,
                ParityCommand.class,
                BalanceCommand.class,
                SpeculateCommand.class,
                TrainStepCommand.class,
                BenchCommand.class,
                ConformCommand.class,
                MutantsCommand.class,
                GoldenCommand.class,
                CalibrateCommand.class,
                CommandLine.HelpCommand.class})
public final class Dsv32 implements Runnable {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public void run() { spec.commandLine().usage(System.out); }

    public static void main(String[] args) { System.exit(execute(args)); }

    /** Runs the CLI and returns its exit code; user errors become one line on stderr, never a stack trace. */
    public static int execute(String... args) {
        CommandLine cl = new CommandLine(new Dsv32());
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            // the full name ("dsv32 golden verify", not "dsv32 verify"); the message is escaped (it may quote file names)
            cmd.getErr().println(cmd.getCommandSpec().qualifiedName() + ": " + CliErrors.message(ex));
            if (Boolean.getBoolean("dsv32.debug")) ex.printStackTrace(cmd.getErr());
            return CliErrors.exitCode(ex);
        });
        return cl.execute(args);
    }

    /** Reads the version Maven wrote into the jar. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() throws IOException {
            Properties p = new Properties();
            try (InputStream in = Dsv32.class.getResourceAsStream("/dsv32-version.properties")) {
                if (in != null) p.load(in);
            }
            return new String[] {"dsv32 " + p.getProperty("version", "unknown") + " (Java " + Runtime.version() + ")"};
        }
    }
}
