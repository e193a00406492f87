using System.CommandLine;
using System.ComponentModel;
using System.Diagnostics;
using BasedEval.Cli.Display;
using BasedEval.Core.Config;
using BasedEval.Core.Gating;
using BasedEval.Core.Running;

namespace BasedEval.Cli.Commands;

/// <summary>
/// `slurm`: writes the batch scripts that run a comparison as a Slurm array of shards and then compare the two runs, and
/// with --submit hands them to sbatch. Slurm starts the processes; the shards meet in the store.
/// </summary>
internal static class SlurmCommand
{
    public static Command Create()
    {
        var config = CommandSupport.ConfigOption();
        var comparison = new Option<string?>("--comparison") { Description = "Comparison name from evals.yaml; needed when it defines several" };
        var baseline = new Option<string?>("--baseline", "-b") { Description = "Baseline target name (with --candidate, instead of a named comparison)" };
        var candidate = new Option<string?>("--candidate", "-k") { Description = "Candidate target name" };
        var shards = new Option<int>("--shards") { Description = "Array tasks, each running one shard of both models", Required = true };
        var limit = new Option<int?>("--limit", "-n") { Description = "Items per suite, a seeded random sample" };
        var partition = new Option<string?>("--partition") { Description = "Slurm partition of both jobs" };
        var time = new Option<string?>("--time") { Description = "Time limit of each task, HH:MM:SS (or any form sbatch takes)" };
        var cpus = new Option<int?>("--cpus-per-task") { Description = "CPUs of each task" };
        var memory = new Option<string?>("--mem") { Description = "Memory of each task, e.g. 16G" };
        var basedeval = new Option<string?>("--basedeval")
        {
            Description = "How a compute node starts basedeval, written as given at the head of each command (default: this basedeval, by its full path)",
        };
        var folder = new Option<string>("--out") { Description = "Folder the scripts are written to", DefaultValueFactory = _ => "slurm" };
        var submit = new Option<bool>("--submit") { Description = "Submit the shards with sbatch, then the comparison to run once every shard succeeded; prints both job ids" };
        var command = new Command("slurm", "Write (and with --submit, submit) Slurm batch scripts: an array of shard tasks, then the comparison")
        {
            config, comparison, baseline, candidate, shards, limit, partition, time, cpus, memory, basedeval, folder, submit,
        };
        command.SetAction((parse, cancellationToken) => CommandSupport.GuardAsync(parse, async output =>
        {
            if (parse.GetValue(cpus) is < 1)
            {
                throw new ConfigException($"--cpus-per-task is {parse.GetValue(cpus)}", "give 1 or more CPUs per task");
            }

            var configPath = Path.GetFullPath(parse.GetValue(config)!);
            var evalConfig = ConfigLoader.Load(configPath);
            var request = new CompareRequest(parse.GetValue(comparison), parse.GetValue(baseline), parse.GetValue(candidate), parse.GetValue(limit));
            var plan = Evaluation.PlanShards(evalConfig, request, parse.GetValue(shards), ConsoleRunObserver.For(output));
            var job = new SlurmJob(plan, configPath, CommandSupport.ComparisonSelection(request, plan), request.Limit, parse.GetValue(basedeval) ?? ThisBasedEval())
            {
                Partition = SlurmScripts.Checked(parse.GetValue(partition), "--partition"),
                Time = SlurmScripts.Checked(parse.GetValue(time), "--time"),
                CpusPerTask = parse.GetValue(cpus),
                Memory = SlurmScripts.Checked(parse.GetValue(memory), "--mem"),
            };

            var scripts = parse.GetValue(folder)!;
            Directory.CreateDirectory(scripts);
            var shardsScript = Path.Combine(scripts, SlurmScripts.ShardsFile);
            var compareScript = Path.Combine(scripts, SlurmScripts.CompareFile);
            await File.WriteAllTextAsync(shardsScript, SlurmScripts.Shards(job, scripts), cancellationToken);
            await File.WriteAllTextAsync(compareScript, SlurmScripts.Compare(job), cancellationToken);
            await output.WriteLineAsync($"comparison {plan.Name}: {plan.Baseline} then {plan.Candidate} over {string.Join(", ", plan.Suites)} in {plan.ShardCount} shards");
            await output.WriteLineAsync($"  baseline run  {plan.BaselineRunId}");
            await output.WriteLineAsync($"  candidate run {plan.CandidateRunId}");
            await output.WriteLineAsync($"wrote {shardsScript}");
            await output.WriteLineAsync($"wrote {compareScript}");
            if (!parse.GetValue(submit))
            {
                await output.WriteLineAsync($"submit: jid=$(sbatch --parsable {SlurmScripts.Quote(shardsScript)}) && sbatch --dependency=afterok:$jid {SlurmScripts.Quote(compareScript)}");
                return ExitCodes.Pass;
            }

            var shardsJob = await SubmitAsync([shardsScript], null, cancellationToken);
            await output.WriteLineAsync($"shards job {shardsJob}: array 0-{plan.ShardCount - 1}, logs slurm-{shardsJob}_<task>.out");
            var compareJob = await SubmitAsync([$"--dependency=afterok:{shardsJob}", compareScript], shardsJob, cancellationToken);
            await output.WriteLineAsync($"compare job {compareJob}: starts once every shard task succeeded, exits with the verdict's code, log slurm-{compareJob}.out");
            return ExitCodes.Pass;
        }));
        return command;
    }

    /// <summary>The running basedeval by full path, so every node starts the same build: its own executable, or dotnet with its dll.</summary>
    private static string ThisBasedEval()
    {
        var process = Environment.ProcessPath;
        if (process is not null && Path.GetFileNameWithoutExtension(process) == "basedeval")
        {
            return SlurmScripts.Quote(process);
        }

        var assembly = typeof(SlurmCommand).Assembly.Location;
        if (assembly.Length == 0)
        {
            return "basedeval";
        }

        var host = process is not null && Path.GetFileNameWithoutExtension(process) == "dotnet" ? process : "dotnet";
        return $"{SlurmScripts.Quote(host)} {SlurmScripts.Quote(assembly)}";
    }

    /// <summary>Runs `sbatch --parsable ARGS` and returns the job id it prints (`id` or `id;cluster`).</summary>
    private static async Task<string> SubmitAsync(IReadOnlyList<string> arguments, string? submittedBefore, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo("sbatch") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add("--parsable");
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        var already = submittedBefore is null ? string.Empty : $"; job {submittedBefore} (the shards) is submitted: cancel it with `scancel {submittedBefore}`, or submit the comparison yourself with `sbatch --dependency=afterok:{submittedBefore} {SlurmScripts.Quote(arguments[^1])}`";
        Process process;
        try
        {
            process = Process.Start(info)!;
        }
        catch (Win32Exception e)
        {
            throw new ConfigException($"sbatch could not be started ({e.Message}){already}", "run this on a Slurm login node, or submit the written scripts where sbatch is");
        }

        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
            var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
            await process.WaitForExitAsync(cancellationToken);
            var id = (await stdout).Trim().Split(';')[0];
            if (process.ExitCode != 0 || id.Length == 0 || !id.All(char.IsAsciiDigit))
            {
                throw new ConfigException($"sbatch {string.Join(' ', arguments)} exited {process.ExitCode}: {(await stderr).Trim()}{already}", "fix what sbatch says (partition, time limit, account), then run the command again");
            }

            return id;
        }
    }
}
