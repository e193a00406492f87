using System.Net.Http.Headers;
using System.Text.Json;
using BasedEval.Core.Config;
using BasedEval.Core.Targets;

namespace BasedEval.Core.Watch;

/// <summary>A source that could not be listed: the others still are, and the watch exits 4 naming it.</summary>
public sealed class ReleaseSourceException(string source, string message) : Exception($"source `{source}`: {message}")
{
    public string SourceName { get; } = source;
}

/// <summary>
/// Lists the model ids a release source offers now: an OpenAI-compatible host's <c>GET /models</c>, Anthropic's
/// paginated <c>GET /v1/models</c>, or the <c>.gguf</c> files of a folder.
/// </summary>
/// <param name="anthropicPageSize">Ids asked for per page of Anthropic's list; 1000 is the most its API gives.</param>
public sealed class ReleaseSources(HttpClient http, int anthropicPageSize = 1000)
{
    /// <summary>Far more than any vendor lists; a server that keeps answering has_more is broken, not big.</summary>
    private const int MaxPages = 1000;

    public static TimeSpan ListTimeout { get; } = TimeSpan.FromSeconds(30);

    public Task<IReadOnlyList<string>> ListAsync(ReleaseSourceConfig source, CancellationToken cancellationToken) => source.Kind switch
    {
        ReleaseSourceKind.OpenAi => ListOpenAiAsync(source, cancellationToken),
        ReleaseSourceKind.Anthropic => ListAnthropicAsync(source, cancellationToken),
        _ => Task.FromResult<IReadOnlyList<string>>(ListFolder(source)),
    };

    /// <summary>
    /// Files whose names start with a dot are left out: that is where a model being downloaded or quantized is written
    /// before it is renamed into place, so a half-written file is never taken for a release.
    /// </summary>
    private static List<string> ListFolder(ReleaseSourceConfig source)
    {
        if (!Directory.Exists(source.Address))
        {
            throw new ReleaseSourceException(source.Name, $"the folder {source.Address} does not exist; create it or fix `folder:` at {source.Location}");
        }

        return Directory.EnumerateFiles(source.Address)
            .Select(Path.GetFileName)
            .OfType<string>()
            .Where(name => !name.StartsWith('.') && name.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase))
            .Order(StringComparer.Ordinal)
            .ToList();
    }

    private async Task<IReadOnlyList<string>> ListOpenAiAsync(ReleaseSourceConfig source, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, source.Address.TrimEnd('/') + "/models");
        if (ApiKey(source) is { } key)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        using var document = await GetJsonAsync(source, request, cancellationToken);
        return ModelIds(source, document.RootElement);
    }

    private async Task<IReadOnlyList<string>> ListAnthropicAsync(ReleaseSourceConfig source, CancellationToken cancellationToken)
    {
        var trimmed = source.Address.TrimEnd('/');
        var models = trimmed.EndsWith("/v1", StringComparison.Ordinal) ? trimmed + "/models" : trimmed + "/v1/models";
        var key = ApiKey(source);
        var ids = new List<string>();
        string? after = null;
        for (var page = 0; page < MaxPages; page++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, after is null ? $"{models}?limit={anthropicPageSize}" : $"{models}?limit={anthropicPageSize}&after_id={Uri.EscapeDataString(after)}");
            request.Headers.Add("anthropic-version", AnthropicTarget.ApiVersion);
            if (key is not null)
            {
                request.Headers.Add("x-api-key", key);
            }

            using var document = await GetJsonAsync(source, request, cancellationToken);
            var root = document.RootElement;
            ids.AddRange(ModelIds(source, root));
            if (!root.TryGetProperty("has_more", out var more) || more.ValueKind != JsonValueKind.True)
            {
                return ids;
            }

            var last = root.TryGetProperty("last_id", out var lastId) && lastId.ValueKind == JsonValueKind.String ? lastId.GetString() : null;
            if (last is null || last == after)
            {
                throw new ReleaseSourceException(source.Name, $"{models} says has_more but gives no new last_id to page on (after `{after}`)");
            }

            after = last;
        }

        throw new ReleaseSourceException(source.Name, $"{models} still had more after {MaxPages} pages");
    }

    private async Task<JsonDocument> GetJsonAsync(ReleaseSourceConfig source, HttpRequestMessage request, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ListTimeout);
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, timeout.Token);
        }
        catch (HttpRequestException e)
        {
            throw new ReleaseSourceException(source.Name, $"GET {request.RequestUri} failed: {e.Message}");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ReleaseSourceException(source.Name, $"GET {request.RequestUri} gave no answer within {ListTimeout.TotalSeconds:0} s");
        }

        using (response)
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                throw new ReleaseSourceException(source.Name, $"GET {request.RequestUri} answered {(int)response.StatusCode} {response.ReasonPhrase}: {Excerpt(body)}");
            }

            try
            {
                return JsonDocument.Parse(body);
            }
            catch (JsonException e)
            {
                throw new ReleaseSourceException(source.Name, $"GET {request.RequestUri} answered 200 with a body that is not JSON ({e.Message}): {Excerpt(body)}");
            }
        }
    }

    private static List<string> ModelIds(ReleaseSourceConfig source, JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Array)
        {
            throw new ReleaseSourceException(source.Name, "the model list has no `data` array; expected {\"data\": [{\"id\": \"...\"}, ...]}");
        }

        var ids = new List<string>();
        foreach (var model in data.EnumerateArray())
        {
            if (model.ValueKind != JsonValueKind.Object || !model.TryGetProperty("id", out var id) || id.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(id.GetString()))
            {
                throw new ReleaseSourceException(source.Name, $"an entry of the model list has no string `id`: {Excerpt(model.GetRawText())}");
            }

            ids.Add(id.GetString()!);
        }

        return ids;
    }

    /// <summary>Keys come only from the environment; a missing one stops this source alone.</summary>
    private static string? ApiKey(ReleaseSourceConfig source)
    {
        if (source.ApiKeyEnv is null)
        {
            return null;
        }

        var key = Environment.GetEnvironmentVariable(source.ApiKeyEnv);
        return string.IsNullOrEmpty(key)
            ? throw new ReleaseSourceException(source.Name, $"its API key is read from the environment variable {source.ApiKeyEnv}, which is not set; export it (in CI, from a secret) or remove `api_key_env`")
            : key;
    }

    private static string Excerpt(string text)
    {
        var flat = text.ReplaceLineEndings(" ").Trim();
        return flat.Length <= 200 ? flat : flat[..200] + "…";
    }
}
