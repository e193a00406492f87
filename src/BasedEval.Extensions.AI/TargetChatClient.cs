using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Threading.Channels;
using BasedEval.Core.Suites;
using BasedEval.Core.Targets;
using Microsoft.Extensions.AI;
using AiChatMessage = Microsoft.Extensions.AI.ChatMessage;

namespace BasedEval.Extensions.AI;

/// <summary>
/// One of BasedEval's targets (in-process llama.cpp, OpenAI-compatible, Anthropic) as an <see cref="IChatClient"/>, so an
/// application calls a local GGUF model through the abstraction it uses everywhere. Each response carries the measured
/// timings under <see cref="TtftMsKey"/> and <see cref="E2eMsKey"/> in its additional properties. Calls go straight to
/// the target: the runner's retries, rate limits and response cache apply to evaluations, not here.
/// </summary>
public sealed class TargetChatClient(ITarget target, bool ownsTarget = false) : IChatClient
{
    public const string TtftMsKey = "basedeval.ttft_ms";
    public const string E2eMsKey = "basedeval.e2e_ms";

    private readonly ChatClientMetadata _metadata = new(target.Identity.Provider, Uri.TryCreate(target.Identity.Endpoint, UriKind.Absolute, out var uri) && uri.Scheme.StartsWith("http", StringComparison.Ordinal) ? uri : null, target.Identity.Model);

    public ITarget Target => target;

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<AiChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var response = await target.SendAsync(Request(messages, options), cancellationToken);
        return new ChatResponse(new AiChatMessage(ChatRole.Assistant, Contents(response, withText: true)))
        {
            FinishReason = FinishReason(response.FinishReason),
            Usage = Usage(response.Usage),
            ModelId = target.Identity.Model,
            CreatedAt = response.Timings.RequestStartUtc,
            AdditionalProperties = Timings(response),
        };
    }

    /// <summary>Text updates as the target produces them, then one last update with the finish reason, tool calls and usage.</summary>
    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<AiChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var pieces = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var request = Request(messages, options) with { OnText = text => pieces.Writer.TryWrite(text) };
        using var abandoned = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var sending = SendThenCompleteAsync(request, pieces.Writer, abandoned.Token);
        try
        {
            await foreach (var text in pieces.Reader.ReadAllAsync(cancellationToken))
            {
                yield return new ChatResponseUpdate(ChatRole.Assistant, text) { ModelId = target.Identity.Model };
            }
        }
        finally
        {
            if (!sending.IsCompleted)
            {
                // The caller stopped reading: the model stops generating an answer nobody will read.
                await abandoned.CancelAsync();
                await sending.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }
        }

        var response = await sending;
        var contents = Contents(response, withText: false);
        contents.Add(new UsageContent(Usage(response.Usage)));
        yield return new ChatResponseUpdate(ChatRole.Assistant, contents)
        {
            FinishReason = FinishReason(response.FinishReason),
            ModelId = target.Identity.Model,
            CreatedAt = response.Timings.RequestStartUtc,
            AdditionalProperties = Timings(response),
        };
    }

    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is not null ? null
            : serviceType == typeof(ChatClientMetadata) ? _metadata
            : serviceType.IsInstanceOfType(this) ? this
            : serviceType.IsInstanceOfType(target) ? target
            : null;
    }

    public void Dispose()
    {
        if (ownsTarget)
        {
            target.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }

    private async Task<TargetResponse> SendThenCompleteAsync(TargetRequest request, ChannelWriter<string> pieces, CancellationToken cancellationToken)
    {
        try
        {
            var response = await target.SendAsync(request, cancellationToken);
            pieces.TryComplete();
            return response;
        }
        catch (Exception e)
        {
            pieces.TryComplete(e);
            throw;
        }
    }

    private static TargetRequest Request(IEnumerable<AiChatMessage> messages, ChatOptions? options)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var turns = messages.Select(m => new Core.Suites.ChatMessage(m.Role.Value, m.Text)).ToList();
        if (options?.Instructions is { Length: > 0 } instructions)
        {
            turns.Insert(0, new Core.Suites.ChatMessage(ChatRole.System.Value, instructions));
        }

        var sampling = new SamplingParameters(options?.Temperature, options?.TopP, options?.MaxOutputTokens, options?.Seed is { } seed ? (int)seed : null);
        return new TargetRequest(turns, sampling)
        {
            Tools = [.. (options?.Tools ?? []).OfType<AIFunctionDeclaration>().Select(f => new ToolDefinition(f.Name, f.Description, f.JsonSchema.GetRawText()))],
            ResponseFormat = options?.ResponseFormat is ChatResponseFormatJson { Schema: { } schema } json
                ? new ResponseFormat(json.SchemaName ?? "response", schema.GetRawText(), Strict: true)
                : null,
        };
    }

    private static List<AIContent> Contents(TargetResponse response, bool withText)
    {
        var contents = new List<AIContent>();
        if (withText && response.Text.Length > 0)
        {
            contents.Add(new TextContent(response.Text));
        }

        foreach (var call in response.ToolCalls)
        {
            contents.Add(new FunctionCallContent(call.Id, call.Name, Arguments(call.Arguments)));
        }

        return contents;
    }

    /// <summary>Arguments as the model wrote them may be invalid JSON; the call is still reported, with its parse error.</summary>
    private static Dictionary<string, object?>? Arguments(string json)
    {
        try
        {
            return JsonSerializer.Deserialize<Dictionary<string, object?>>(json.Length == 0 ? "{}" : json, AIJsonUtilities.DefaultOptions);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static ChatFinishReason? FinishReason(string? reason) => reason switch
    {
        null => null,
        "stop" or "end_turn" => ChatFinishReason.Stop,
        "length" or "max_tokens" => ChatFinishReason.Length,
        "tool_calls" or "tool_use" => ChatFinishReason.ToolCalls,
        "content_filter" => ChatFinishReason.ContentFilter,
        _ => new ChatFinishReason(reason),
    };

    private static UsageDetails Usage(TokenUsage usage) => new()
    {
        InputTokenCount = usage.InputTokens,
        OutputTokenCount = usage.OutputTokens,
        TotalTokenCount = usage.InputTokens + usage.OutputTokens,
        CachedInputTokenCount = usage.CachedInputTokens,
        ReasoningTokenCount = usage.ReasoningTokens,
    };

    private static AdditionalPropertiesDictionary Timings(TargetResponse response) => new()
    {
        [TtftMsKey] = response.Timings.TtftMs,
        [E2eMsKey] = response.Timings.E2eMs,
    };
}
