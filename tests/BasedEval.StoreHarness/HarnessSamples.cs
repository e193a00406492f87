using System.Globalization;
using BasedEval.Core.Config;
using BasedEval.Core.Scoring;
using BasedEval.Core.Storage;
using BasedEval.Core.Targets;

namespace BasedEval.StoreHarness;

/// <summary>Samples as a streamed MMLU answer stores them: request, reasoning text, 40 chunk arrivals, usage, cost and score.</summary>
public static class HarnessSamples
{
    public const string RunId = "harness-run";

    public static RunRecord Run { get; } = new(
        RunId, new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero), null, RunStatus.Running, "candidate", "openai|small|http://127.0.0.1:8080/v1|t0",
        "openai", "small", "http://127.0.0.1:8080/v1", ["mmlu"], "3f9a0c1d", "0.1.0", null, new Prices(0.2, 0, 0.6), 11, 1_000_000);

    public static Sample Make(int index)
    {
        var item = index.ToString("D7", CultureInfo.InvariantCulture);
        var chunks = Enumerable.Range(0, 40).Select(i => new ChunkArrival(180 + (i * 11.5), 1)).ToArray();
        return new Sample(
            RunId, "mmlu", item, 0, $"sha256:{index:x16}",
            $$"""{"model":"small","messages":[{"role":"user","content":"The following are multiple choice questions about astronomy.\n\nQuestion {{item}}: Which planet is closest to the Sun?\nA. Venus\nB. Mercury\nC. Mars\nD. Earth\nAnswer with the letter."}],"temperature":0,"max_tokens":256,"stream":true}""",
            "Mercury orbits closest to the Sun, at about 0.39 AU; Venus comes next.\n**Answer: B**",
            "stop",
            new TokenUsage(96, 0, 40, 0, false),
            new SampleTimings(new DateTimeOffset(2025, 1, 1, 0, 0, 1, TimeSpan.Zero), 180, 180 + (39 * 11.5), chunks),
            null, null, 1, false, 0.0000432, new DateTimeOffset(2025, 1, 1, 0, 0, 2, TimeSpan.Zero),
            new Score(1, "B", "extracted B, reference B"), "B", ["astronomy"]);
    }
}
