using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using BasedEval.Core.Config;

namespace BasedEval.Core.Running;

/// <summary>
/// One part of a run split across processes: shard <see cref="Index"/> (from 0) of <see cref="Count"/>. Every process
/// computes the same plan and keeps the items whose stable hash falls in its part, so shards need not talk to each other.
/// </summary>
public sealed record ShardSpec(int Index, int Count)
{
    /// <summary>A CI matrix sets this to `I/N`, e.g. <c>BASEDEVAL_SHARD: ${{ matrix.shard }}/4</c>.</summary>
    public const string ShardVariable = "BASEDEVAL_SHARD";

    /// <summary>Kubernetes gives an Indexed Job's pod its index but not the completions count; the manifest sets this to it.</summary>
    public const string ShardCountVariable = "BASEDEVAL_SHARD_COUNT";

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Index}/{Count}");

    /// <summary>
    /// SHA-256 of suite and item id, the same on every machine and .NET version (string.GetHashCode is randomised per
    /// process). Every epoch of an item lands in the same shard, so repeats of an item are reduced where they were made.
    /// </summary>
    public static int Of(string suite, string itemId, int count)
    {
        Span<byte> digest = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes($"{suite}\n{itemId}"), digest);
        return (int)(BinaryPrimitives.ReadUInt64BigEndian(digest) % (ulong)count);
    }

    public bool Owns(string suite, string itemId) => Of(suite, itemId, Count) == Index;

    /// <summary>`I/N` with 0 ≤ I &lt; N.</summary>
    public static ShardSpec Parse(string text, string source)
    {
        var parts = text.Split('/');
        if (parts.Length == 2
            && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var index)
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var count)
            && count >= 1 && index < count)
        {
            return new ShardSpec(index, count);
        }

        throw new ConfigException($"{source} is `{text}`, not a shard", "write it as INDEX/COUNT with the index counted from 0, e.g. `0/4` … `3/4`");
    }

    /// <summary>
    /// The shard from the option, else from the environment: <see cref="ShardVariable"/>; Slurm's array task id and count
    /// (the id taken from the array's first index, so `--array=1-4` works as `0-3` does); Kubernetes'
    /// JOB_COMPLETION_INDEX with <see cref="ShardCountVariable"/>. Null when none says so: the run is not sharded.
    /// </summary>
    public static ShardSpec? Resolve(string? option, Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        if (option is not null)
        {
            return Parse(option, "--shard");
        }

        if (environment(ShardVariable) is { Length: > 0 } matrix)
        {
            return Parse(matrix, $"${ShardVariable}");
        }

        if (environment("SLURM_ARRAY_TASK_ID") is { Length: > 0 } taskId && environment("SLURM_ARRAY_TASK_COUNT") is { Length: > 0 } taskCount)
        {
            var first = Number(environment("SLURM_ARRAY_TASK_MIN") ?? "0", "$SLURM_ARRAY_TASK_MIN");
            return Parse(string.Create(CultureInfo.InvariantCulture, $"{Number(taskId, "$SLURM_ARRAY_TASK_ID") - first}/{taskCount}"), "$SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT");
        }

        if (environment("JOB_COMPLETION_INDEX") is { Length: > 0 } completionIndex)
        {
            var count = environment(ShardCountVariable)
                ?? throw new ConfigException($"$JOB_COMPLETION_INDEX is set but ${ShardCountVariable} is not", $"set ${ShardCountVariable} to the Job's completions in its manifest");
            return Parse($"{completionIndex}/{count}", $"$JOB_COMPLETION_INDEX/${ShardCountVariable}");
        }

        return null;
    }

    private static int Number(string text, string source) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new ConfigException($"{source} is `{text}`, not a number", "leave it to the scheduler, or pass --shard INDEX/COUNT");
}
