using BasedEval.Benchmarks.Targets;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Exporters;
using BenchmarkDotNet.Exporters.Json;
using BenchmarkDotNet.Loggers;
using BenchmarkDotNet.Running;

// Every class writes a GitHub Markdown table (to read, or to paste into a pull request) and a full JSON file (every
// measurement, for tools) under BenchmarkDotNet.Artifacts/results; the default validators and analysers stay on.
var config = ManualConfig.CreateEmpty()
    .AddColumnProvider(DefaultColumnProviders.Instance)
    .AddLogger(ConsoleLogger.Default)
    .AddAnalyser([.. DefaultConfig.Instance.GetAnalysers()])
    .AddValidator([.. DefaultConfig.Instance.GetValidators()])
    .AddExporter(MarkdownExporter.GitHub, JsonExporter.Full)
    // Each run builds a copy of this project with the llama.cpp natives of both bindings; on a busy machine that takes longer
    // than the two minutes BenchmarkDotNet allows by default.
    .WithBuildTimeout(TimeSpan.FromMinutes(10));
BenchmarkSwitcher.FromAssembly(typeof(StreamParsingBenchmarks).Assembly).Run(args, config);
