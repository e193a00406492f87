using System.Text.Json;
using BasedEval.Core.Gating;
using BasedEval.Core.Storage;
using BasedEval.Tests.EndToEnd;
using BasedEval.Tests.LlamaCpp;

namespace BasedEval.Tests.Watch;

/// <summary>
/// A folder of GGUF files as a release source, run through the in-process llama.cpp engine: production is the
/// repository's own F16 model, and a Q8_0 quantization of it appears in the folder between two watches.
/// </summary>
public class WatchGgufFolderTests
{
    [Fact]
    public async Task Watch_runs_a_quantization_that_appears_in_the_folder_exactly_once_and_ignores_a_file_still_being_written()
    {
        var root = Directory.CreateTempSubdirectory("basedeval-watch-gguf-").FullName;
        try
        {
            var releases = Path.Combine(root, "releases");
            Directory.CreateDirectory(releases);
            File.Copy(SyntheticModels.F16, Path.Combine(releases, "tiny-f16.gguf"));
            File.WriteAllText(Path.Combine(releases, "README.txt"), "not a model");
            File.WriteAllText(Path.Combine(root, "evals.yaml"), $$"""
                version: 1
                store: store/results.db
                reports_dir: reports
                seed: 5
                targets:
                  prod:
                    provider: llamacpp
                    model_path: {{SyntheticModels.F16}}
                    gpu_layers: 0
                    context_size: 1024
                    threads: 1
                suites:
                  mmlu:
                    format: mmlu
                    path: {{Path.Combine(SyntheticModels.RepositoryRoot, "suites", "mmlu-sample")}}
                    prompt: loglikelihood
                watch:
                  production: prod
                  suites: [mmlu]
                  gates:
                    quality: { margin: 10, confidence: 0.95 }
                  sources:
                    local:
                      kind: gguf_folder
                      folder: releases
                      target:
                        gpu_layers: 0
                        context_size: 1024
                        threads: 1
                """);
            var notify = Path.Combine(root, "watch.json");
            Task<CliResult> Watch() => CliRunner.RunAsync(root, "watch", "--notify-json", notify);

            var first = await Watch();
            Assert.True(first.ExitCode == ExitCodes.Pass, first.Output + first.Error);
            Assert.Contains("source local: 1 listed, 1 selected, 1 recorded (tiny-f16.gguf)", first.Output, StringComparison.Ordinal);
            Assert.False(Directory.Exists(Path.Combine(root, "reports")));

            // A release lands as a hidden file and is renamed into place once whole; the one still being written is not a release.
            var landing = Path.Combine(releases, ".tiny-q8_0.gguf.part");
            File.Copy(SyntheticModels.Q8, landing);
            File.Move(landing, Path.Combine(releases, "tiny-q8_0.gguf"));
            File.Copy(SyntheticModels.Q4, Path.Combine(releases, ".tiny-q4_0.gguf.part"));

            var second = await Watch();
            using var notified = JsonDocument.Parse(File.ReadAllText(notify));
            var model = Assert.Single(notified.RootElement.GetProperty("models").EnumerateArray());
            Assert.Equal("tiny-q8_0.gguf", model.GetProperty("model_id").GetString());
            var verdict = model.GetProperty("verdict").GetString();
            Assert.True(second.ExitCode == ExitCodes.For(Enum.Parse<Decision>(verdict!, ignoreCase: true)), second.Output + second.Error);
            Assert.Contains($"local/tiny-q8_0.gguf  {verdict}  reports/", second.Output, StringComparison.Ordinal);

            var third = await Watch();
            Assert.True(third.ExitCode == ExitCodes.Pass, third.Output + third.Error);
            Assert.Contains("nothing new to evaluate", third.Output, StringComparison.Ordinal);

            await using var store = await SqliteResultStore.OpenAsync(Path.Combine(root, "store", "results.db"), TestContext.Current.CancellationToken);
            var runs = await store.ListRunsAsync(TestContext.Current.CancellationToken);
            Assert.Equal(["local/tiny-q8_0.gguf", "prod"], runs.Select(r => r.TargetName).Order(StringComparer.Ordinal));
            Assert.All(runs, r => Assert.Equal(RunStatus.Completed, r.Status));
        }
        finally
        {
            Cleanup.DeleteFolder(root);
        }
    }
}
