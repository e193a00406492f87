using System.CommandLine;
using BasedEval.Core.Config;
using BasedEval.Core.Gating;
using BasedEval.Core.Running;
using BasedEval.Core.Storage;
using BasedEval.Core.Suites;
using BasedEval.Core.Targets;

namespace BasedEval.Cli.Commands;

/// <summary>What every verb shares: the --config option, opening the store, and turning failures into documented exit codes.</summary>
internal static class CommandSupport
{
    public static Option<string> ConfigOption() => new("--config", "-c")
    {
        Description = "Path of evals.yaml",
        DefaultValueFactory = _ => "evals.yaml",
    };

    public static Option<string?> ShardOption() => new("--shard")
    {
        Description = $"This process's part of a sharded run, INDEX/COUNT from 0 (default: ${ShardSpec.ShardVariable}, Slurm's array task, or Kubernetes' JOB_COMPLETION_INDEX with ${ShardSpec.ShardCountVariable})",
    };

    public static Option<bool> NoCacheOption() => new("--no-cache")
    {
        Description = "Send every request even when the store holds this endpoint's answer to it, so latency is measured on every item; samples are still stored",
    };

    public static ShardSpec? Shard(ParseResult parse, Option<string?> option) => ShardSpec.Resolve(parse.GetValue(option), Environment.GetEnvironmentVariable);

    /// <summary>A command-line value that cannot be read is bad input, exit 2, like a bad evals.yaml value.</summary>
    public static Exception OptionError(string problem, string fix) => new ConfigException(problem, fix);

    public static double Proportion(ParseResult parse, Option<string> option) =>
        Quantities.Proportion(parse.GetValue(option)!, option.Name, OptionError);

    /// <summary>
    /// The words that choose the comparison as the user chose it, for the `compare` a scheduler runs last, so it resolves
    /// the same comparison and gates the shards ran.
    /// </summary>
    public static List<string> ComparisonSelection(CompareRequest request, ShardedComparison plan)
    {
        if (request.Baseline is null)
        {
            return ["--comparison", plan.Name];
        }

        List<string> words = request.ComparisonName is { } template ? ["--comparison", template] : [];
        words.AddRange(["--baseline", plan.Baseline, "--candidate", plan.Candidate]);
        return words;
    }

    public static TargetFactory Targets() => LlamaCpp.LlamaCppTargets.Factory();

    public static async Task<int> GuardAsync(ParseResult parse, Func<TextWriter, Task<int>> body)
    {
        var output = parse.InvocationConfiguration.Output;
        var error = parse.InvocationConfiguration.Error;
        try
        {
            return await body(output);
        }
        catch (ConfigException e)
        {
            await error.WriteLineAsync($"error: {e.Message}");
            return ExitCodes.InvalidInput;
        }
        catch (SuiteDataException e)
        {
            await error.WriteLineAsync($"error: {e.Message}");
            return ExitCodes.InvalidInput;
        }
        catch (RunStoppedException e)
        {
            await error.WriteLineAsync($"stopped: {e.Reason}. Everything answered is stored (run {e.RunId}); once the cause is fixed, finish it with `basedeval run --target {e.TargetName} --resume {e.RunId}`");
            return ExitCodes.RunError;
        }
        catch (StoreBusyException e)
        {
            await error.WriteLineAsync($"error: {e.Message}");
            return ExitCodes.RunError;
        }
        catch (Microsoft.Data.Sqlite.SqliteException e)
        {
            // The store failed after it opened (the disk filled, another process held it past store_timeout_s): what was
            // committed before stays committed.
            await error.WriteLineAsync($"error: the result store failed: {e.Message}; everything committed before is kept, run the command again once the cause is fixed (`basedeval run --resume <id>` for a run)");
            return ExitCodes.RunError;
        }
        catch (Core.SweBench.DockerEngineException e)
        {
            await error.WriteLineAsync($"error: {e.Message}");
            return ExitCodes.RunError;
        }
        catch (RunInterruptedException e)
        {
            await error.WriteLineAsync($"interrupted: everything answered is stored and run {e.RunId} is marked interrupted; finish it with `basedeval run --target {e.TargetName} --resume {e.RunId}`");
            return ExitCodes.RunError;
        }
        catch (OperationCanceledException)
        {
            await error.WriteLineAsync("interrupted: everything that finished is stored; continue with `basedeval run --resume <run-id>` (ids: `basedeval runs`)");
            return ExitCodes.RunError;
        }
    }

    public static Task<IResultStore> OpenStoreAsync(EvalConfig config, ParseResult parse, CancellationToken cancellationToken) =>
        ResultStores.OpenAsync(config.StorePath, cancellationToken, config.StoreTimeout, parse.InvocationConfiguration.Error.WriteLine);
}
