using System.CommandLine;
using BasedEval.Cli.Commands;
using BasedEval.LlamaCpp;

namespace BasedEval.Cli;

/// <summary>Composes the verbs; each verb is its own small class.</summary>
public static class BasedEvalApp
{
    public static RootCommand Build()
    {
        var root = new RootCommand("basedeval: decide, with evidence, whether one LLM can replace another.");
        root.Subcommands.Add(InitCommand.Create());
        root.Subcommands.Add(RunCommand.Create());
        root.Subcommands.Add(CompareCommand.Create());
        root.Subcommands.Add(WatchCommand.Create());
        root.Subcommands.Add(PlanCommand.Create());
        root.Subcommands.Add(RunsCommand.Create());
        root.Subcommands.Add(MergeCommand.Create());
        root.Subcommands.Add(SlurmCommand.Create());
        root.Subcommands.Add(KubernetesCommand.Create());
        root.Subcommands.Add(ReportCommand.Create());
        root.Subcommands.Add(HistoryCommand.Create());
        root.Subcommands.Add(ReplayCommand.Create());
        root.Subcommands.Add(BenchCommand.Create());
        root.Subcommands.Add(SuitesCommand.Create());
        root.Subcommands.Add(ServeCommand.Create());
        root.Subcommands.Add(SweBenchCommand.Create());
        return root;
    }

    /// <param name="cancellationToken">Cancelled to ask the verb to stop cleanly (the process's termination signals).</param>
    public static async Task<int> InvokeAsync(string[] args, TextWriter? output = null, TextWriter? error = null, CancellationToken cancellationToken = default)
    {
        // Verbs that count tokens without making a target (replay --dry-run) need the local models' counters too.
        LlamaCppTargets.RegisterTokenCounters();
        var parse = Build().Parse(args);
        // Signals are the caller's (see TerminationSignals): System.CommandLine's own handler would end the process with
        // 130 two seconds after Ctrl+C, before a run could mark itself interrupted.
        var configuration = new InvocationConfiguration { Output = output ?? Console.Out, Error = error ?? Console.Error, ProcessTerminationTimeout = null };
        if (parse.Errors.Count > 0 && parse.Action is not System.CommandLine.Help.HelpAction)
        {
            foreach (var e in parse.Errors)
            {
                await configuration.Error.WriteLineAsync($"error: {e.Message}");
            }

            await configuration.Error.WriteLineAsync("run `basedeval --help` for usage");
            return Core.Gating.ExitCodes.InvalidInput;
        }

        return await parse.InvokeAsync(configuration, cancellationToken);
    }
}
