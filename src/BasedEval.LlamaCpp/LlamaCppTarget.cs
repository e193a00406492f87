using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using BasedEval.Core.Targets;

namespace BasedEval.LlamaCpp;

/// <summary>What evals.yaml's <c>llamacpp</c> provider configures.</summary>
/// <param name="ModelPath">The GGUF file.</param>
public sealed record LlamaCppTargetOptions(string ModelPath)
{
    /// <summary>The target's name in reports; the model file's name without extension unless set.</summary>
    public string? Name { get; init; }

    /// <summary>Layers offloaded to the GPU: <see cref="LlamaModel.AllLayers"/>, a count, or 0 for CPU only.</summary>
    public int GpuLayers { get; init; } = LlamaModel.AllLayers;

    public int ContextSize { get; init; } = 4096;

    /// <summary>CPU threads per context; 0 uses every processor, shared out among the contexts of a pool.</summary>
    public int Threads { get; init; }

    public int BatchSize { get; init; } = 512;

    public int ParallelSlots { get; init; } = 1;

    public LlamaScheduling Scheduling { get; init; } = LlamaScheduling.ParallelSequences;

    /// <summary>A built-in template name ("llama3", "chatml", …) to use instead of the model's own.</summary>
    public string? ChatTemplate { get; init; }

    /// <summary>Whether tool calls and response_format answers are constrained by a grammar from their schemas.</summary>
    public bool ConstrainStructuredOutput { get; init; } = true;
}

/// <summary>
/// A GGUF model run in-process by llama.cpp. Timings follow the remote targets' definitions with the request starting just
/// before prompt processing: TTFT covers prompt processing and the first token, and each generated token is one output
/// chunk. Token counts are exact.
/// </summary>
public sealed class LlamaCppTarget : ITarget
{
    public const string Provider = "llamacpp";

    private readonly LlamaModel _model;
    private readonly LlamaEngine _engine;
    private readonly string? _chatTemplate;
    private readonly bool _constrain;
    private readonly ConcurrentDictionary<string, byte> _unenforcedWarned = new(StringComparer.Ordinal);

    public LlamaCppTarget(LlamaCppTargetOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _chatTemplate = options.ChatTemplate;
        _constrain = options.ConstrainStructuredOutput;
        _model = LlamaModel.Load(options.ModelPath, options.GpuLayers);
        try
        {
            _engine = new LlamaEngine(_model, new LlamaEngineOptions
            {
                ContextSize = options.ContextSize,
                Threads = options.Threads,
                BatchSize = options.BatchSize,
                ParallelSlots = options.ParallelSlots,
                Scheduling = options.Scheduling,
            });
        }
        catch
        {
            _model.Dispose();
            throw;
        }

        Name = options.Name ?? Path.GetFileNameWithoutExtension(options.ModelPath);
        Identity = CreateIdentity(_model, options, LlamaBackend.Initialize());
    }

    public string Name { get; }

    public TargetIdentity Identity { get; }

    /// <summary>The engine, for log-likelihood scoring on the same loaded model.</summary>
    public LlamaEngine Engine => _engine;

    public bool CanRankContinuations => true;

    public async Task<TargetResponse> SendAsync(TargetRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var sentUtc = DateTimeOffset.UtcNow;
        var sent = Stopwatch.GetTimestamp();
        if (request.Continuations is { Count: > 0 } continuations)
        {
            return await RankAsync(request, continuations, sentUtc, sent, cancellationToken);
        }

        int[] prompt;
        LocalStructuredRequest structured;
        try
        {
            structured = LocalStructuredOutput.Prepare(request, _constrain);
            var text = _chatTemplate is null
                ? _model.ApplyChatTemplate(structured.Messages).Text
                : LlamaModel.ApplyChatTemplate(_chatTemplate, structured.Messages);
            prompt = _model.Tokenize(text, addSpecial: true, parseSpecial: true);
        }
        catch (Exception e) when (e is LlamaException or NotSupportedException or JsonException)
        {
            throw new TargetException(TargetErrorKind.ClientError, e.Message, inner: e);
        }

        WarnOfUnenforced(structured.Unenforced);
        var sampling = ToLlamaSampling(request.Sampling) with { Grammar = structured.Grammar };

        var output = new StringBuilder();
        var tokenTimes = new List<long>();
        GenerationSummary? summary = null;
        try
        {
            await foreach (var update in _engine.GenerateAsync(prompt, sampling, cancellationToken))
            {
                output.Append(update.Text);
                if (update.Summary is null)
                {
                    tokenTimes.Add(update.Timestamp);
                    if (update.Text.Length > 0)
                    {
                        request.OnText?.Invoke(update.Text);
                    }
                }
                else
                {
                    summary = update.Summary;
                }
            }
        }
        catch (Exception e) when (e is LlamaPromptTooLongException or LlamaGrammarException)
        {
            throw new TargetException(TargetErrorKind.ClientError, e.Message, inner: e);
        }
        catch (LlamaException e)
        {
            throw new TargetException(TargetErrorKind.ServerError, e.Message, inner: e);
        }

        if (summary is null)
        {
            throw new TargetException(TargetErrorKind.Protocol, "Generation ended without a summary");
        }

        var start = summary.StartTimestamp;
        var chunks = tokenTimes.Select(t => new ChunkArrival(Milliseconds(start, t), 1)).ToArray();
        var timings = new SampleTimings(
            sentUtc + Stopwatch.GetElapsedTime(sent, start),
            chunks.Length > 0 ? chunks[0].OffsetMs : null,
            Milliseconds(start, summary.EndTimestamp),
            chunks);
        var usage = new TokenUsage(summary.PromptTokens, 0, summary.OutputTokens, 0, Estimated: false);
        var finish = summary.FinishReason == LlamaFinishReason.Stop ? "stop" : "length";
        if (request.Tools.Count == 0)
        {
            return new TargetResponse(output.ToString(), finish, usage, timings);
        }

        var (answer, calls) = LocalStructuredOutput.ReadToolCalls(output.ToString());
        return new TargetResponse(answer, calls.Count > 0 && finish == "stop" ? "tool_calls" : finish, usage, timings) { ToolCalls = calls };
    }

    /// <summary>Once per distinct set: which schema constraints the grammar leaves to the model.</summary>
    private void WarnOfUnenforced(IReadOnlyList<string> unenforced)
    {
        if (unenforced.Count > 0 && _unenforcedWarned.TryAdd(string.Join('\n', unenforced), 0))
        {
            LlamaBackend.Log.WriteLine($"note: {Name}: the grammar cannot enforce {string.Join(", ", unenforced)}; the model must keep to them itself");
        }
    }

    /// <summary>
    /// lm-evaluation-harness multiple choice: the raw text of the first message is the context (no chat template, as the
    /// harness scores log-likelihoods), each continuation is scored with the context's KV cache reused, and the answer is
    /// the most likely one. The whole scoring counts as time to first token; nothing is generated.
    /// </summary>
    private async Task<TargetResponse> RankAsync(TargetRequest request, IReadOnlyList<string> continuations, DateTimeOffset sentUtc, long sent, CancellationToken cancellationToken)
    {
        var context = request.Messages.Count > 0 ? request.Messages[0].Content : string.Empty;
        IReadOnlyList<LogLikelihoodResult> results;
        try
        {
            results = await _engine.LogLikelihoodAsync(context, continuations, reusePrefix: true, cancellationToken);
        }
        catch (LlamaPromptTooLongException e)
        {
            throw new TargetException(TargetErrorKind.ClientError, e.Message, inner: e);
        }
        catch (LlamaException e)
        {
            throw new TargetException(TargetErrorKind.ServerError, e.Message, inner: e);
        }

        var best = 0;
        for (var i = 1; i < results.Count; i++)
        {
            if (results[i].LogProbability > results[best].LogProbability)
            {
                best = i;
            }
        }

        var elapsedMs = Stopwatch.GetElapsedTime(sent).TotalMilliseconds;
        var contextTokens = _model.Tokenize(context, addSpecial: true, parseSpecial: false).Length;
        var usage = new TokenUsage(contextTokens + results.Sum(r => r.TokenCount), 0, 0, 0, Estimated: false);
        var timings = new SampleTimings(sentUtc, elapsedMs, elapsedMs, [new ChunkArrival(elapsedMs, 1)]);
        return new TargetResponse(continuations[best], "ranked", usage, timings);
    }

    public ValueTask DisposeAsync()
    {
        _engine.Dispose();
        _model.Dispose();
        return ValueTask.CompletedTask;
    }

    internal static LlamaSampling ToLlamaSampling(SamplingParameters sampling) => new(
        (float)(sampling.Temperature ?? 0),
        sampling.TopP is { } topP ? (float)topP : null,
        sampling.Seed is { } seed ? unchecked((uint)seed) : null,
        sampling.MaxTokens);

    /// <summary>
    /// The model file's content hash, and every setting that can change an output: the chat template, the context size (it
    /// bounds generation), and what shapes the arithmetic — batch size, GPU offload, and the natives that ran.
    /// </summary>
    private static TargetIdentity CreateIdentity(LlamaModel model, LlamaCppTargetOptions options, LlamaBackendInfo backend)
    {
        var template = options.ChatTemplate ?? (model.ChatTemplate is null ? LlamaModel.FallbackChatTemplate : "model");
        var offload = backend.HasGpu ? options.GpuLayers.ToString(CultureInfo.InvariantCulture) : "0";
        var settings = string.Create(
            CultureInfo.InvariantCulture,
            $"template={template};context={options.ContextSize};batch={options.BatchSize};gpu_layers={offload};grammar={(options.ConstrainStructuredOutput ? "on" : "off")};llama.cpp=v0.5.0");
        return new TargetIdentity(Provider, $"{Path.GetFileName(model.Path)}@sha256:{model.FileSha256}", "in-process", settings);
    }

    private static double Milliseconds(long from, long to) => Stopwatch.GetElapsedTime(from, to).TotalMilliseconds;
}
