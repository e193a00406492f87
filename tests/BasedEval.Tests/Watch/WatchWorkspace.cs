using System.Text.Json;
using BasedEval.Tests.EndToEnd;
using BasedEval.TestServer;

namespace BasedEval.Tests.Watch;

/// <summary>
/// A scripted MMLU suite and an evals.yaml whose <c>watch:</c> compares every model a loopback host lists with the
/// production model `prod` on it. The production model answers every item right; a release answers right where its
/// script says.
/// </summary>
internal sealed class WatchWorkspace : IDisposable
{
    public WatchWorkspace(int items) => Suite = new ScriptedWorkspace(items, _ => true, _ => true, subjects: 4);

    public ScriptedWorkspace Suite { get; }

    public string Root => Suite.Root;

    public string ConfigPath => Suite.ConfigPath;

    public string StorePath => Suite.StorePath;

    public string NotifyPath => Path.Combine(Root, "watch.json");

    /// <summary>A model that answers right on every item, with the given latency.</summary>
    public ModelScript Right(double ttftMs = 2) => Suite.Model(Enumerable.Repeat(true, Suite.Items).ToList(), ttftMs);

    /// <summary>A model that answers only the first <paramref name="rightShare"/> of the items right.</summary>
    public ModelScript RightOn(double rightShare, double ttftMs = 2) =>
        Suite.Model(Enumerable.Range(0, Suite.Items).Select(i => i < Suite.Items * rightShare).ToList(), ttftMs);

    public static ServerScript Script(params (string Name, ModelScript Model)[] models) =>
        new() { Models = models.ToDictionary(m => m.Name, m => m.Model, StringComparer.Ordinal) };

    /// <param name="sources">YAML lines of the sources under `watch.sources`, indented by six spaces.</param>
    public void WriteConfig(Uri production, string sources, int concurrency = 8) => File.WriteAllText(ConfigPath, $$"""
        version: 1
        store: store/results.db
        reports_dir: reports
        seed: 11
        targets:
          prod:
            provider: openai
            model: prod
            base_url: {{production}}v1
            prices: { input: 2.5, output: 10 }
            max_concurrency: {{concurrency}}
            timeout_s: 10
            max_retries: 2
        suites:
          mmlu:
            format: mmlu
            path: mmlu
        watch:
          production: prod
          suites: [mmlu]
          gates:
            quality: { margin: 5, confidence: 0.95 }
          sources:
        {{sources}}
        """);

    public static string OpenAiSource(string name, Uri server, int concurrency = 8) => $$"""
              {{name}}:
                kind: openai
                base_url: {{server}}v1
                exclude: [prod]
                target:
                  prices: { input: 0.2, output: 0.6 }
                  max_concurrency: {{concurrency}}
                  timeout_s: 10
                  max_retries: 2
        """;

    public JsonElement Notification()
    {
        using var document = JsonDocument.Parse(File.ReadAllText(NotifyPath));
        return document.RootElement.Clone();
    }

    public Task<CliResult> WatchAsync(params string[] extra) =>
        CliRunner.RunAsync(Root, ["watch", "--config", ConfigPath, "--notify-json", NotifyPath, .. extra]);

    public void Dispose() => Suite.Dispose();
}
