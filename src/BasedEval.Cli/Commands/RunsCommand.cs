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
                await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"{run.Id}\t{run.Status}\t{run.TargetName}\t{run.Model}\t{string.Join(",", run.Suites)}\t{run.PlannedSamples} samples\t{run.CreatedUtc:yyyy-MM-dd HH:mm}Z"));
            }

            return ExitCodes.Pass;
        }));
        return command;
    }
}
