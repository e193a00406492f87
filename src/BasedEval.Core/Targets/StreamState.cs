using System.Text;
using BasedEval.Core.Tokens;

namespace BasedEval.Core.Targets;

/// <summary>
/// Mutable accumulation of one streamed answer, turned into an immutable response at the end: where every streaming
/// target (HTTP or an IChatClient) gets the same TTFT, ITL attribution and usage fill-in.
/// </summary>
public sealed class StreamState(DateTimeOffset requestStartUtc, long startTimestamp)
{
    private readonly StringBuilder _text = new();
    private readonly List<(double OffsetMs, int Characters)> _chunks = [];
    private readonly SortedDictionary<int, (string Id, string Name, StringBuilder Arguments)> _toolCalls = [];

    public long StartTimestamp { get; } = startTimestamp;

    /// <summary>The same moment on the wall clock, which the kernel's receive timestamps are read against.</summary>
    public DateTimeOffset RequestStartUtc { get; } = requestStartUtc;

    public bool Completed { get; set; }

    /// <summary>Whether any event carried the answer itself (an OpenAI choice, an Anthropic message), even an empty one.</summary>
    public bool AnswerSeen { get; set; }

    public string? FinishReason { get; set; }

    public int? InputTokens { get; set; }

    public int CachedInputTokens { get; set; }

    public int? OutputTokens { get; set; }

    public int ReasoningTokens { get; set; }

    /// <summary>Passed each piece of visible text as it arrives (see <see cref="TargetRequest.OnText"/>).</summary>
    public Action<string>? OnText { get; init; }

    /// <summary>Records an output-bearing chunk: content, reasoning or a tool-call delta.</summary>
    public void AddOutput(double offsetMs, string visibleText, int outputCharacters)
    {
        _text.Append(visibleText);
        if (visibleText.Length > 0)
        {
            OnText?.Invoke(visibleText);
        }

        _chunks.Add((offsetMs, Math.Max(1, outputCharacters)));
    }

    /// <summary>
    /// Adds a piece of the tool call at <paramref name="index"/>: the first piece of a call names it, later ones carry
    /// argument text to append. The chunk's timing is recorded by <see cref="AddOutput"/>, not here.
    /// </summary>
    public void AddToolCall(int index, string? id, string? name, string arguments)
    {
        if (!_toolCalls.TryGetValue(index, out var call))
        {
            call = (string.Empty, string.Empty, new StringBuilder());
        }

        _toolCalls[index] = (string.IsNullOrEmpty(id) ? call.Id : id, string.IsNullOrEmpty(name) ? call.Name : name, call.Arguments.Append(arguments));
    }

    /// <summary>Counts with the target's tokenizer whatever part of the usage the server left out; the tokenizer is loaded only then.</summary>
    public TargetResponse ToResponse(double e2eMs, TargetRequest request, Lazy<ITokenCounter> tokens)
    {
        var text = _text.ToString();
        var counter = InputTokens is null || OutputTokens is null ? tokens.Value : null;
        var output = OutputTokens ?? counter!.Count(text + string.Concat(_toolCalls.Values.Select(c => c.Name + c.Arguments)));
        var usage = new TokenUsage(InputTokens ?? counter!.CountMessages(request.Messages), CachedInputTokens, output, ReasoningTokens, counter?.IsEstimate == true)
        {
            CountedBy = counter?.Name,
        };
        var chunks = TokenEstimate.AttributeTokens(_chunks, output);
        double? ttft = chunks.Count > 0 ? chunks[0].OffsetMs : null;
        return new TargetResponse(text, FinishReason, usage, new SampleTimings(RequestStartUtc, ttft, e2eMs, chunks))
        {
            ToolCalls = [.. _toolCalls.Values.Select(c => new ToolCall(c.Id, c.Name, c.Arguments.ToString()))],
        };
    }
}
