using System.Globalization;
using System.Text;

namespace BasedEval.Tests.Workload;

/// <summary>Small workload files written in the real formats, in a throwaway folder.</summary>
internal sealed class WorkloadFiles : IDisposable
{
    public string Root { get; } = Directory.CreateTempSubdirectory("basedeval-workload-").FullName;

    public string Write(string name, string content)
    {
        var path = Path.Combine(Root, name);
        File.WriteAllText(path, content);
        return path;
    }

    /// <summary>A chat log of <paramref name="lines"/> requests, one every <paramref name="gapMs"/>, with recorded answers.</summary>
    public string ChatLog(string name, int lines, double gapMs, Func<int, string>? prompt = null, Func<int, string>? answer = null)
    {
        var path = Path.Combine(Root, name);
        using var writer = new StreamWriter(path, false, new UTF8Encoding(false));
        var start = new DateTimeOffset(2024, 5, 1, 12, 0, 0, TimeSpan.Zero);
        for (var i = 0; i < lines; i++)
        {
            var at = start.AddMilliseconds(i * gapMs).ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);
            var text = Escape(prompt?.Invoke(i) ?? $"[R{i:D6}] Say something about request {i}.");
            var reply = Escape(answer?.Invoke(i) ?? $"Request {i} is fine.");
            writer.Write("{\"timestamp\":\"" + at + "\",\"id\":\"req-" + i.ToString(CultureInfo.InvariantCulture)
                + "\",\"request\":{\"model\":\"prod\",\"messages\":[{\"role\":\"user\",\"content\":\"" + text
                + "\"}],\"max_tokens\":64},\"response\":{\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":\"" + reply
                + "\"}}],\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":5}}}");
            writer.Write('\n');
        }

        return path;
    }

    private static string Escape(string text) => System.Text.Json.JsonEncodedText.Encode(text).ToString();

    public void Dispose() => Cleanup.DeleteFolder(Root);
}
