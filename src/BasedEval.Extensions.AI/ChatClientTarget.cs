using System.Diagnostics;
using System.Text.Json;
using BasedEval.Core.Config;
using BasedEval.Core.Targets;
using BasedEval.Core.Tokens;
using Microsoft.Extensions.AI;

namespace BasedEval.Extensions.AI;

/// <summary>
/// Provider <c>chatclient</c>: an <see cref="IChatClient"/> the host registered in code, measured like the built-in
/// providers. The request starts just before the streaming call and each update is stamped as the client hands it over,
/// so TTFT, ITL and E2E include the client's own pipeline (a kernel receive time is out of reach through the
/// abstraction); token counts come from its <see cref="UsageContent"/>, and without one are counted with the target's tokenizer.
/// </summary>
public sealed class ChatClientTarget : ITarget
{
    public const string Provider = "chatclient";

    private readonly TargetConfig _config;
    private readonly IChatClient _client;
    private readonly Lazy<ITokenCounter> _tokens;

    public ChatClientTarget(TargetConfig config, IChatClient client)
    {
        ArgumentNullException.ThrowIfNull(config);
        _config = config;
        _tokens = new Lazy<ITokenCounter>(() => TokenCounters.For(config));
        _client = client ?? throw new ArgumentNullException(nameof(client));
        var reference = config.ChatClient ?? new ChatClientReference(config.Name, null);
        var metadata = client.GetService<ChatClientMetadata>();
        var endpoint = metadata?.ProviderUri?.GetLeftPart(UriPartial.Path) ?? $"{Provider}:{reference.Name}";
        var model = reference.ModelId ?? metadata?.DefaultModelId ?? reference.Name;
        Identity = new TargetIdentity(Provider, model, endpoint, TargetIdentity.SamplingFingerprint(config.Sampling));
    }

    public string Name => _config.Name;

    public TargetIdentity Identity { get; }

    public async Task<TargetResponse> SendAsync(TargetRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var messages = request.Messages.Select(m => new ChatMessage(new ChatRole(m.Role), m.Content)).ToList();
        var options = Options(request);
        var state = new StreamState(DateTimeOffset.UtcNow, Stopwatch.GetTimestamp()) { OnText = request.OnText };
        var toolCalls = 0;
        try
        {
            await foreach (var update in _client.GetStreamingResponseAsync(messages, options, cancellationToken))
            {
                var offsetMs = Stopwatch.GetElapsedTime(state.StartTimestamp).TotalMilliseconds;
                state.AnswerSeen = true;
                var text = new System.Text.StringBuilder();
                var outputCharacters = 0;
                foreach (var content in update.Contents)
                {
                    switch (content)
                    {
                        case TextContent t:
                            text.Append(t.Text);
                            outputCharacters += t.Text.Length;
                            break;
                        case TextReasoningContent r:
                            outputCharacters += r.Text.Length;
                            break;
                        case FunctionCallContent call:
                            var arguments = JsonSerializer.Serialize(call.Arguments, AIJsonUtilities.DefaultOptions);
                            state.AddToolCall(toolCalls++, call.CallId, call.Name, arguments);
                            // A call that opens with no argument text still counts as output, as DESIGN.md defines TTFT.
                            outputCharacters += Math.Max(1, call.Name.Length + arguments.Length);
                            break;
                        case UsageContent usage:
                            AddUsage(state, usage.Details);
                            break;
                    }
                }

                if (outputCharacters > 0)
                {
                    state.AddOutput(offsetMs, text.ToString(), outputCharacters);
                }

                if (update.FinishReason is { } finish)
                {
                    state.FinishReason = finish.Value;
                }
            }
        }
        catch (Exception e) when (e is not OperationCanceledException and not TargetException)
        {
            throw Classify(e);
        }

        var e2eMs = Stopwatch.GetElapsedTime(state.StartTimestamp).TotalMilliseconds;
        if (!state.AnswerSeen)
        {
            throw new TargetException(TargetErrorKind.Protocol, $"{Name}: the chat client's stream ended without an update");
        }

        return state.ToResponse(e2eMs, request, _tokens);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private ChatOptions Options(TargetRequest request)
    {
        var sampling = request.Sampling;
        var options = new ChatOptions
        {
            ModelId = _config.ChatClient?.ModelId,
            Temperature = sampling.Temperature is { } temperature ? (float)temperature : null,
            TopP = sampling.TopP is { } topP ? (float)topP : null,
            MaxOutputTokens = sampling.MaxTokens,
            Seed = sampling.Seed,
        };
        if (request.Tools.Count > 0)
        {
            options.Tools = [.. request.Tools.Select(t => AIFunctionFactory.CreateDeclaration(t.Name, t.Description, JsonElement.Parse(t.ParametersSchema)))];
        }

        if (request.ResponseFormat is { } format)
        {
            options.ResponseFormat = ChatResponseFormat.ForJsonSchema(JsonElement.Parse(format.Schema), format.Name);
        }

        return options;
    }

    private static void AddUsage(StreamState state, UsageDetails usage)
    {
        // A client may report usage in several updates; each carries its own share, as UsageDetails.Add sums them.
        state.InputTokens = Sum(state.InputTokens, usage.InputTokenCount);
        state.OutputTokens = Sum(state.OutputTokens, usage.OutputTokenCount);
        state.CachedInputTokens += (int)(usage.CachedInputTokenCount ?? 0);
        state.ReasoningTokens += (int)(usage.ReasoningTokenCount ?? 0);
    }

    private static int? Sum(int? sofar, long? more) => more is { } m ? (sofar ?? 0) + (int)m : sofar;

    /// <summary>
    /// Retry only what HTTP says is passing; any other failure of a client (whose own pipeline has usually retried already)
    /// is not retried, so a bad key or request never costs a run of attempts.
    /// </summary>
    private TargetException Classify(Exception e)
    {
        var text = $"{Name}: the chat client failed: {e.Message}";
        return e switch
        {
            HttpRequestException { StatusCode: { } status } => new TargetException(TargetErrorKinds.ForStatus((int)status), text, statusCode: (int)status, inner: e),
            HttpRequestException or IOException => new TargetException(TargetErrorKind.Connection, text, inner: e),
            TimeoutException => new TargetException(TargetErrorKind.Timeout, text, inner: e),
            _ => new TargetException(TargetErrorKind.ClientError, text, inner: e),
        };
    }
}
