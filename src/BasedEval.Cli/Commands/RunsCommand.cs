using System.CommandLine;
using System.Globalization;
using BasedEval.Core.Config;
using BasedEval.Core.Gating;

namespace BasedEval.Cli.Commands;

internal static class RunsCommand
{
    public static Command Create()
    {
        var config = CommandSupport.ConfigOption();
        var command = new Command("runs", "List stored runs") { config };
        command.SetAction((parse, cancellationToken) => CommandSupport.GuardAsync(parse, async output =>
        {
            var evalConfig = ConfigLoader.Load(parse.GetValue(config)!);
            await using var store = await CommandSupport.OpenStoreAsync(evalConfig, parse, cancellationToken);
            foreach (var run in await store.ListRunsAsync(cancellationToken))
            {
                var shards = Shards(await store.GetShardsAsync(run.Id, cancellationToken));
                await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"{run.Id}\t{run.Status}\t{run.TargetName}\t{run.Model}\t{string.Join(",", run.Suites)}\t{run.PlannedSamples} samples\t{run.CreatedUtc:yyyy-MM-dd HH:mm}Z{shards}"));
            }

            return ExitCodes.Pass;
        }));
        return command;
    }

    /// <summary>`shards 3/4 done, missing 2 (Pending)`: what a scheduler still has to run before the run can be compared.</summary>
    private static string Shards(IReadOnlyList<Core.Storage.ShardRecord> shards)
    {
        if (shards.Count == 0)
        {
            return string.Empty;
        }

        var missing = shards.Where(s => s.Status != Core.Storage.ShardStatus.Completed).ToList();
        var done = $"\tshards {shards.Count - missing.Count}/{shards[0].Count} done";
        return missing.Count == 0 ? done : $"{done}, missing {string.Join(", ", missing.Select(s => $"{s.Index} ({s.Status})"))}";
    }
}
