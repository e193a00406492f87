using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using BasedEval.TestServer;

namespace BasedEval.Tests.TestServer;

/// <param name="ArrivedMs">Since the client began sending the request.</param>
/// <param name="ArrivedTimestamp">Stopwatch timestamp of the same moment, to set against the server's own stamps.</param>
internal sealed record SseEvent(string? Name, string Data, double ArrivedMs, long ArrivedTimestamp)
{
    public JsonElement Json => JsonDocument.Parse(Data).RootElement;
}

/// <summary>A deliberately plain client, so the server is tested against the wire format rather than against the product's own parser.</summary>
internal sealed class ServerClient : IDisposable
{
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };

    public HttpClient Http => _http;

    public static HttpRequestMessage OpenAi(TestLlmServer server, string json) =>
        new(HttpMethod.Post, new Uri(server.BaseUrl, "v1/chat/completions"))
        {
            Content = new StringContent(json, Encoding.UTF8, new MediaTypeHeaderValue("application/json")),
        };

    public static HttpRequestMessage Anthropic(TestLlmServer server, string json, bool withVersion = true)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(server.BaseUrl, "v1/messages"))
        {
            Content = new StringContent(json, Encoding.UTF8, new MediaTypeHeaderValue("application/json")),
        };
        if (withVersion)
        {
            request.Headers.Add("anthropic-version", "2023-06-01");
        }

        return request;
    }

    public static string OpenAiBody(string model, string content, bool stream = true, bool includeUsage = true) =>
        JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["model"] = model,
            ["stream"] = stream,
            ["stream_options"] = new Dictionary<string, object> { ["include_usage"] = includeUsage },
            ["messages"] = new[] { new Dictionary<string, string> { ["role"] = "user", ["content"] = content } },
        });

    public static string AnthropicBody(string model, string content, bool stream = true, string? system = null)
    {
        var body = new Dictionary<string, object>
        {
            ["model"] = model,
            ["max_tokens"] = 256,
            ["stream"] = stream,
            ["messages"] = new[] { new Dictionary<string, string> { ["role"] = "user", ["content"] = content } },
        };
        if (system is not null)
        {
            body["system"] = system;
        }

        return JsonSerializer.Serialize(body);
    }

    public async Task<(HttpResponseMessage Response, string Raw, List<SseEvent> Events)> StreamAsync(HttpRequestMessage request)
    {
        var (response, raw, events, failure) = await StreamUntilFailureAsync(request, TestContext.Current.CancellationToken);
        return failure is null ? (response, raw, events) : throw failure;
    }

    /// <summary>Reads events until the stream ends or breaks; a break is returned, not thrown, with what came before it.</summary>
    /// <param name="received">Called as each event is read, before the next read: a test can look at the server or cancel there.</param>
    public async Task<(HttpResponseMessage Response, string Raw, List<SseEvent> Events, Exception? Failure)> StreamUntilFailureAsync(
        HttpRequestMessage request, CancellationToken cancellationToken, Action<SseEvent>? received = null)
    {
        var start = Stopwatch.GetTimestamp();
        var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        var raw = new StringBuilder();
        var events = new List<SseEvent>();
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken));
        string? name = null;
        string? data = null;
        while (true)
        {
            string? line;
            try
            {
                line = await reader.ReadLineAsync(cancellationToken);
            }
            catch (Exception e) when (e is IOException or OperationCanceledException)
            {
                return (response, raw.ToString(), events, e);
            }

            if (line is null)
            {
                break;
            }

            raw.Append(line).Append('\n');
            if (line.StartsWith("event: ", StringComparison.Ordinal))
            {
                name = line["event: ".Length..];
            }
            else if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                data = line["data: ".Length..];
            }
            else if (line.Length == 0 && data is not null)
            {
                events.Add(Event(name, data, start));
                received?.Invoke(events[^1]);
                name = null;
                data = null;
            }
        }

        if (data is not null)
        {
            events.Add(Event(name, data, start));
            received?.Invoke(events[^1]);
        }

        return (response, raw.ToString(), events, null);
    }

    private static SseEvent Event(string? name, string data, long start)
    {
        var now = Stopwatch.GetTimestamp();
        return new SseEvent(name, data, Stopwatch.GetElapsedTime(start, now).TotalMilliseconds, now);
    }

    public static IEnumerable<string> OpenAiContents(IEnumerable<SseEvent> events) =>
        events
            .Where(e => e.Data.StartsWith('{'))
            .Select(e => e.Json.GetProperty("choices"))
            .Where(c => c.GetArrayLength() == 1 && c[0].GetProperty("delta").TryGetProperty("content", out var t) && t.GetString() != "")
            .Select(c => c[0].GetProperty("delta").GetProperty("content").GetString()!);

    public async Task<(HttpResponseMessage Response, string Body)> SendAsync(HttpRequestMessage request)
    {
        var response = await _http.SendAsync(request, TestContext.Current.CancellationToken);
        return (response, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    public void Dispose() => _http.Dispose();
}
