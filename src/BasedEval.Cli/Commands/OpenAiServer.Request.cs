using System.Text.Json;
using BasedEval.Core.Suites;
using BasedEval.LlamaCpp;

namespace BasedEval.Cli.Commands;

public sealed partial class OpenAiServer
{
    /// <summary>The parts of an OpenAI request body this server honours.</summary>
    private sealed record Request(IReadOnlyList<ChatMessage> Messages, string Prompt, string? Model, bool Stream, bool IncludeUsage, LlamaSampling Sampling)
    {
        public static Request Read(JsonElement body, bool chat)
        {
            if (body.ValueKind != JsonValueKind.Object)
            {
                throw new BadRequestException("the request body must be a JSON object");
            }

            var messages = new List<ChatMessage>();
            var prompt = "";
            if (chat)
            {
                if (!body.TryGetProperty("messages", out var list) || list.ValueKind != JsonValueKind.Array || list.GetArrayLength() == 0)
                {
                    throw new BadRequestException("`messages` must be a non-empty array of {role, content}");
                }

                messages.AddRange(list.EnumerateArray().Select(ReadMessage));
            }
            else
            {
                prompt = body.TryGetProperty("prompt", out var p) ? p.ValueKind switch
                {
                    JsonValueKind.String => p.GetString()!,
                    JsonValueKind.Array when p.GetArrayLength() == 1 && p[0].ValueKind == JsonValueKind.String => p[0].GetString()!,
                    _ => throw new BadRequestException("`prompt` must be a string (or an array holding one string)"),
                } : throw new BadRequestException("`prompt` is required");
            }

            var maxTokens = Integer(body, "max_completion_tokens") ?? Integer(body, "max_tokens");
            if (maxTokens is < 1)
            {
                throw new BadRequestException("`max_tokens` must be at least 1");
            }

            var temperature = Number(body, "temperature") ?? 0;
            var topP = Number(body, "top_p");
            var seed = Integer(body, "seed");
            var includeUsage = body.TryGetProperty("stream_options", out var options) && options.ValueKind == JsonValueKind.Object &&
                options.TryGetProperty("include_usage", out var usage) && usage.ValueKind == JsonValueKind.True;
            return new Request(
                messages,
                prompt,
                body.TryGetProperty("model", out var model) && model.ValueKind == JsonValueKind.String ? model.GetString() : null,
                body.TryGetProperty("stream", out var stream) && stream.ValueKind == JsonValueKind.True,
                includeUsage,
                new LlamaSampling((float)temperature, topP is { } p2 ? (float)p2 : null, seed is { } s ? unchecked((uint)s) : null, maxTokens));
        }

        private static ChatMessage ReadMessage(JsonElement message)
        {
            if (message.ValueKind != JsonValueKind.Object || !message.TryGetProperty("role", out var role) || role.ValueKind != JsonValueKind.String)
            {
                throw new BadRequestException("every message needs a `role` string");
            }

            var content = message.TryGetProperty("content", out var c) ? c.ValueKind switch
            {
                JsonValueKind.String => c.GetString()!,
                JsonValueKind.Null => "",
                // Content parts: the text parts, joined, as text-only servers read them.
                JsonValueKind.Array => string.Concat(c.EnumerateArray()
                    .Where(part => part.ValueKind == JsonValueKind.Object && part.TryGetProperty("text", out var t) && t.ValueKind == JsonValueKind.String)
                    .Select(part => part.GetProperty("text").GetString())),
                _ => throw new BadRequestException("`content` must be a string or an array of content parts"),
            } : "";
            return new ChatMessage(role.GetString()!, content);
        }

        private static int? Integer(JsonElement body, string name) =>
            !body.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null ? null
            : value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var number) ? number
            : throw new BadRequestException($"`{name}` must be an integer");

        private static double? Number(JsonElement body, string name) =>
            !body.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null ? null
            : value.ValueKind == JsonValueKind.Number ? value.GetDouble()
            : throw new BadRequestException($"`{name}` must be a number");
    }
}
