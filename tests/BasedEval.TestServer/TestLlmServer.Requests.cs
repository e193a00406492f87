using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace BasedEval.TestServer;

/// <summary>What the server makes of a request: its API, its model's compiled script, and the parsed body.</summary>
public sealed partial class TestLlmServer
{
    private enum Api
    {
        OpenAi,
        Anthropic,
    }

    private sealed class CompiledModel(string name, ModelScript script)
    {
        private readonly Regex? _keyPattern = script.KeyPattern is null
            ? null
            : new Regex(script.KeyPattern, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));

        private readonly ConcurrentDictionary<string, SplitReply> _splits = new(StringComparer.Ordinal);

        /// <summary>Requests of this model being answered now; drives <see cref="ModelScript.TtftPerInFlightMs"/>.</summary>
        public int InFlight;

        public string Name { get; } = name;

        public ModelScript Script { get; } = script;

        public string? KeyOf(string contents)
        {
            var match = _keyPattern?.Match(contents);
            return match is { Success: true } && match.Groups.Count > 1 && match.Groups[1].Success ? match.Groups[1].Value : null;
        }

        public string ReplyFor(string? key) =>
            key is not null && Script.Replies.TryGetValue(key, out var reply) ? reply : Script.DefaultReply;

        public SplitReply Split(string reply) => _splits.GetOrAdd(reply, text =>
        {
            var tokens = ReplyTokens.Split(text);
            var size = Math.Max(1, Script.TokensPerChunk);
            return new SplitReply(tokens.Chunk(size).Select(chunk => string.Concat(chunk)).ToArray(), tokens.Count);
        });

        public FaultRule? FaultFor(string faultKey, int attempt)
        {
            // Selected rules take consecutive turns, so one key can see e.g. a 429 and then a 503 before it succeeds.
            var turnsBefore = 0;
            foreach (var rule in Script.Faults)
            {
                if (rule.Attempts <= 0 || !rule.Selects(faultKey))
                {
                    continue;
                }

                if (attempt <= turnsBefore + rule.Attempts)
                {
                    return rule;
                }

                turnsBefore += rule.Attempts;
            }

            return null;
        }
    }

    private sealed record SplitReply(IReadOnlyList<string> Chunks, int TokenCount);

    private sealed record ParsedRequest(string Model, string Contents, bool Stream, bool StreamUsage, string? Error)
    {
        public static ParsedRequest From(Api api, JsonElement body)
        {
            if (body.ValueKind != JsonValueKind.Object)
            {
                return new ParsedRequest("", "", false, false, "The request body must be a JSON object.");
            }

            var model = body.TryGetProperty("model", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString()! : "";
            var stream = body.TryGetProperty("stream", out var s) && s.ValueKind == JsonValueKind.True;
            var streamUsage = body.TryGetProperty("stream_options", out var options)
                && options.ValueKind == JsonValueKind.Object
                && options.TryGetProperty("include_usage", out var include)
                && include.ValueKind == JsonValueKind.True;
            if (!body.TryGetProperty("messages", out var messages) || messages.ValueKind != JsonValueKind.Array)
            {
                return new ParsedRequest(model, "", stream, streamUsage, "messages: field required (an array).");
            }

            var parts = new List<string>();
            if (api == Api.Anthropic && body.TryGetProperty("system", out var system))
            {
                AddText(system, parts);
            }

            foreach (var message in messages.EnumerateArray())
            {
                if (message.ValueKind == JsonValueKind.Object && message.TryGetProperty("content", out var content))
                {
                    AddText(content, parts);
                }
            }

            var error = model.Length == 0 ? "model: field required." : null;
            return new ParsedRequest(model, string.Join('\n', parts), stream, streamUsage, error);
        }

        // Content is a string, or (both APIs) an array of parts of which the text ones count.
        private static void AddText(JsonElement content, List<string> parts)
        {
            if (content.ValueKind == JsonValueKind.String)
            {
                parts.Add(content.GetString()!);
                return;
            }

            if (content.ValueKind != JsonValueKind.Array)
            {
                return;
            }

            foreach (var part in content.EnumerateArray())
            {
                if (part.ValueKind == JsonValueKind.Object && part.TryGetProperty("text", out var text) && text.ValueKind == JsonValueKind.String)
                {
                    parts.Add(text.GetString()!);
                }
            }
        }
    }
}
