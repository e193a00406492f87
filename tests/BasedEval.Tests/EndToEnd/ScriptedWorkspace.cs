using System.Globalization;
using System.Text;
using BasedEval.TestServer;

namespace BasedEval.Tests.EndToEnd;

/// <summary>
/// A throwaway folder with an MMLU-format suite, an evals.yaml pointing at the loopback server, and a server script that
/// decides, item by item, which model answers right. The expected statistics follow from the script alone.
/// </summary>
internal sealed class ScriptedWorkspace : IDisposable
{
    private static readonly string[] Letters = ["A", "B", "C", "D"];

    public ScriptedWorkspace(int items, Func<int, bool> baselineRight, Func<int, bool> candidateRight, int subjects = 10)
    {
        Root = Directory.CreateTempSubdirectory("basedeval-e2e-").FullName;
        Items = items;
        var suite = Path.Combine(Root, "mmlu");
        Directory.CreateDirectory(suite);
        var random = new Random(7);
        var writers = Enumerable.Range(0, subjects).Select(s => new StringBuilder()).ToArray();
        for (var i = 0; i < items; i++)
        {
            var answer = random.Next(4);
            Answers.Add(Letters[answer]);
            BaselineRight.Add(baselineRight(i));
            CandidateRight.Add(candidateRight(i));
            writers[i % subjects].Append(CultureInfo.InvariantCulture, $"\"[Q{i:D5}] Which option is number {answer + 1}?\",one,two,three,four,{Letters[answer]}\n");
        }

        for (var s = 0; s < subjects; s++)
        {
            File.WriteAllText(Path.Combine(suite, $"subject{s:D2}_test.csv"), writers[s].ToString());
        }
    }

    public string Root { get; }

    public int Items { get; }

    public List<string> Answers { get; } = [];

    public List<bool> BaselineRight { get; } = [];

    public List<bool> CandidateRight { get; } = [];

    public string ConfigPath => Path.Combine(Root, "evals.yaml");

    public string StorePath => Path.Combine(Root, "store", "results.db");

    public string ReportsPath => Path.Combine(Root, "reports");

    public ModelScript Model(IReadOnlyList<bool> right, double ttftMs, double interChunkMs = 1, int tokensPerChunk = 2, List<FaultRule>? faults = null)
    {
        var replies = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < Items; i++)
        {
            var correct = Array.IndexOf(Letters, Answers[i]);
            var given = right[i] ? Answers[i] : Letters[(correct + 1) % 4];
            replies[i.ToString("D5", CultureInfo.InvariantCulture)] = $"The option numbered as asked is listed here.\n**Answer: {given}**";
        }

        return new ModelScript
        {
            KeyPattern = @"\[Q(\d{5})\]",
            Replies = replies,
            DefaultReply = "I cannot tell.",
            TtftMs = ttftMs,
            InterChunkDelayMs = interChunkMs,
            TokensPerChunk = tokensPerChunk,
            Faults = faults ?? [],
        };
    }

    public void WriteConfig(Uri server, string gates, int concurrency = 64, string baselineProvider = "openai", string candidateProvider = "openai", string extraTarget = "")
    {
        string Url(string provider) => provider == "openai" ? $"{server}v1" : server.ToString();
        File.WriteAllText(ConfigPath, $$"""
            version: 1
            store: store/results.db
            reports_dir: reports
            seed: 11
            targets:
              gpt-a:
                provider: {{baselineProvider}}
                model: gpt-a
                base_url: {{Url(baselineProvider)}}
                prices: { input: 2.5, cached_input: 1.25, output: 10 }
                max_concurrency: {{concurrency}}
                timeout_s: 10
                max_retries: 4
              open-b:
                provider: {{candidateProvider}}
                model: open-b
                base_url: {{Url(candidateProvider)}}
                prices: { input: 0.2, output: 0.6 }
                max_concurrency: {{concurrency}}
                timeout_s: 10
                max_retries: 4
            {{extraTarget}}
            suites:
              mmlu:
                format: mmlu
                path: mmlu
            comparisons:
              swap:
                baseline: gpt-a
                candidate: open-b
                suites: [mmlu]
                gates:
            {{gates}}
            """);
    }

    public void Dispose() => Cleanup.DeleteFolder(Root);
}
