using System.CommandLine;
using BasedEval.Core.Gating;
using BasedEval.Core.Storage;

namespace BasedEval.Cli.Commands;

/// <summary>`merge A.db B.db … --into C.db`: the SQLite files that shards wrote on their own, combined into one store.</summary>
internal static class MergeCommand
{
    public static Command Create()
    {
        var sources = new Argument<string[]>("stores") { Description = "SQLite files written by shards", Arity = ArgumentArity.OneOrMore };
        var into = new Option<string>("--into") { Description = "The SQLite file to merge into (created when absent)", Required = true };
        var command = new Command("merge", "Combine shard SQLite stores into one; refuses samples that disagree") { sources, into };
        command.SetAction((parse, cancellationToken) => CommandSupport.GuardAsync(parse, async output =>
        {
            var opened = new List<(string, IResultStore)>();
            try
            {
                foreach (var path in parse.GetValue(sources)!)
                {
                    if (!File.Exists(path))
                    {
                        throw new Core.Config.ConfigException($"the store `{path}` does not exist", "name the SQLite files the shards wrote");
                    }

                    opened.Add((path, await SqliteResultStore.OpenAsync(path, cancellationToken)));
                }

                await using var target = await SqliteResultStore.OpenAsync(parse.GetValue(into)!, cancellationToken);
                var outcome = await StoreMerge.MergeAsync(opened, target, cancellationToken);
                await output.WriteLineAsync($"merged {opened.Count} stores into {parse.GetValue(into)}: {outcome.Runs} runs and {outcome.Samples} samples added");
                return ExitCodes.Pass;
            }
            finally
            {
                foreach (var (_, store) in opened)
                {
                    await store.DisposeAsync();
                }
            }
        }));
        return command;
    }
}
