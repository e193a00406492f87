using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using BasedEval.Core.Config;
using BasedEval.Core.Running;

namespace BasedEval.Cli.Commands;

/// <summary>What the two batch scripts ask of Slurm, and how a compute node starts basedeval.</summary>
/// <param name="Command">Written as given at the head of every basedeval line, e.g. <c>dotnet /opt/basedeval/basedeval.dll</c>.</param>
/// <param name="Selection">The arguments that pick the comparison, as `compare` takes them.</param>
internal sealed record SlurmJob(ShardedComparison Plan, string ConfigPath, IReadOnlyList<string> Selection, int? Limit, string Command)
{
    public string? Partition { get; init; }

    public string? Time { get; init; }

    public int? CpusPerTask { get; init; }

    public string? Memory { get; init; }
}

/// <summary>
/// The text of the two batch scripts `basedeval slurm` writes: an array job whose task I runs shard I of both models, and
/// a job that compares the two runs once every task succeeded. Pure text; Slurm only starts the processes.
/// </summary>
internal static partial class SlurmScripts
{
    public const string ShardsFile = "shards.sbatch";
    public const string CompareFile = "compare.sbatch";

    public static string Shards(SlurmJob job, string scriptsFolder)
    {
        ArgumentNullException.ThrowIfNull(job);
        var plan = job.Plan;
        var text = new StringBuilder();
        Line(text, "#!/bin/bash");
        Line(text, $"# Written by `basedeval slurm`. Array task I runs shard I/{plan.ShardCount} of comparison `{Comment(plan.Name)}`: the baseline");
        Line(text, $"# `{Comment(plan.Baseline)}`, then the candidate `{Comment(plan.Candidate)}`. Every task derives the same two run ids without talking to");
        Line(text, "# the others, and the store is where they meet:");
        Line(text, $"#   baseline  {plan.BaselineRunId}");
        Line(text, $"#   candidate {plan.CandidateRunId}");
        Line(text, "# The ids follow from evals.yaml and the suites as they were when this was written: write the scripts again after");
        Line(text, "# changing either.");
        var shards = Quote(Path.Combine(scriptsFolder, ShardsFile));
        var compare = Quote(Path.Combine(scriptsFolder, CompareFile));
        Line(text, $"# Submit: jid=$(sbatch --parsable {shards}) && sbatch --dependency=afterok:$jid {compare}");
        Line(text, "# A failed task submitted again alone resumes its own part; the comparison then follows it instead (scancel the one");
        Line(text, $"# left waiting): jid=$(sbatch --parsable --array=2 {shards}) && sbatch --dependency=afterok:$jid {compare}");
        Line(text, $"#SBATCH --job-name={JobName(plan.Name, "shards")}");
        Line(text, $"#SBATCH --array=0-{plan.ShardCount - 1}");
        Line(text, "#SBATCH --output=slurm-%A_%a.out");
        Resources(text, job);
        Line(text, "set -euo pipefail");
        Line(text, string.Empty);
        // The count is written here rather than read from SLURM_ARRAY_TASK_COUNT, which is 1 when one task is resubmitted.
        Line(text, $"shard=\"${{SLURM_ARRAY_TASK_ID:?submit this script with sbatch, which sets the array task id}}/{plan.ShardCount}\"");
        foreach (var target in new[] { plan.Baseline, plan.Candidate })
        {
            var words = new List<string> { "run", "--config", job.ConfigPath, "--target", target };
            foreach (var suite in plan.Suites)
            {
                words.AddRange(["--suite", suite]);
            }

            if (job.Limit is { } limit)
            {
                words.AddRange(["--limit", limit.ToString(CultureInfo.InvariantCulture)]);
            }

            Line(text, $"{job.Command} {string.Join(' ', words.Select(Quote))} --shard \"$shard\"");
        }

        return text.ToString();
    }

    public static string Compare(SlurmJob job)
    {
        ArgumentNullException.ThrowIfNull(job);
        var plan = job.Plan;
        var text = new StringBuilder();
        Line(text, "#!/bin/bash");
        Line(text, $"# Written by `basedeval slurm`. Compares the runs of the {plan.ShardCount} shard tasks once every one succeeded (submit");
        Line(text, "# it with --dependency=afterok:<shards job id>). Its exit code is the verdict's: 0 PASS, 1 FAIL, 3 INCONCLUSIVE;");
        Line(text, "# 2 is bad input, 4 a run error.");
        Line(text, $"#SBATCH --job-name={JobName(plan.Name, "compare")}");
        Line(text, "#SBATCH --output=slurm-%j.out");
        Resources(text, job);
        Line(text, "set -euo pipefail");
        Line(text, string.Empty);
        var words = new List<string> { "compare", "--config", job.ConfigPath };
        words.AddRange(job.Selection);
        words.AddRange(["--baseline-run", plan.BaselineRunId, "--candidate-run", plan.CandidateRunId]);
        Line(text, $"{job.Command} {string.Join(' ', words.Select(Quote))}");
        return text.ToString();
    }

    /// <summary>One word for bash: as it is when nothing in it is special, else in single quotes (a quote inside as '\'').</summary>
    public static string Quote(string word)
    {
        ArgumentNullException.ThrowIfNull(word);
        return PlainWord().IsMatch(word) ? word : $"'{word.Replace("'", "'\\''", StringComparison.Ordinal)}'";
    }

    /// <summary>
    /// An #SBATCH line is not read by a shell, so a value there cannot be quoted: values are checked against what Slurm
    /// accepts for them, and refused (exit 2) with the form to use otherwise.
    /// </summary>
    public static string? Checked(string? value, string option)
    {
        if (value is null)
        {
            return null;
        }

        var (pattern, form) = option switch
        {
            "--partition" => (PartitionValue(), "partition names separated by commas, e.g. `gpu` or `gpu,cpu`"),
            "--time" => (TimeValue(), "HH:MM:SS, MM, MM:SS, D-HH, D-HH:MM or D-HH:MM:SS, e.g. `02:00:00`"),
            _ => (MemoryValue(), "a size with an optional unit, e.g. `16G` or `4096M`"),
        };
        return pattern.IsMatch(value) ? value : throw new ConfigException($"{option} is `{value}`, which Slurm does not read as a value of it", $"write {form}");
    }

    private static void Resources(StringBuilder text, SlurmJob job)
    {
        if (job.Partition is { } partition)
        {
            Line(text, $"#SBATCH --partition={partition}");
        }

        if (job.Time is { } time)
        {
            Line(text, $"#SBATCH --time={time}");
        }

        if (job.CpusPerTask is { } cpus)
        {
            Line(text, string.Create(CultureInfo.InvariantCulture, $"#SBATCH --cpus-per-task={cpus}"));
        }

        if (job.Memory is { } memory)
        {
            Line(text, $"#SBATCH --mem={memory}");
        }
    }

    /// <summary>A name from evals.yaml inside a comment line: a line break there would start a command.</summary>
    private static string Comment(string text) => new(text.Select(ch => char.IsControl(ch) ? ' ' : ch).ToArray());

    private static string JobName(string comparison, string step) => $"basedeval-{RunIds.Safe(comparison)}-{step}";

    // Scripts use \n whatever the machine: bash reads a \r as part of the word.
    private static void Line(StringBuilder text, string line) => text.Append(line).Append('\n');

    [GeneratedRegex(@"^[A-Za-z0-9_@%+=:,./-]+$")]
    private static partial Regex PlainWord();

    [GeneratedRegex(@"^[A-Za-z0-9_.-]+(,[A-Za-z0-9_.-]+)*$")]
    private static partial Regex PartitionValue();

    [GeneratedRegex(@"^(\d+-\d+(:\d+){0,2}|\d+(:\d+){0,2})$")]
    private static partial Regex TimeValue();

    [GeneratedRegex(@"^\d+[KMGT]?$")]
    private static partial Regex MemoryValue();
}
