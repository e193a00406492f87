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
    .AddExporter(MarkdownExporter.GitHub, JsonExporter.Full);
BenchmarkSwitcher.FromAssembly(typeof(StreamParsingBenchmarks).Assembly).Run(args, config);
