using System.Globalization;
using System.Runtime.InteropServices;
using BasedEval.TestServer;

// Standalone use: BasedEval.TestServer --script script.json [--port N]
string? scriptPath = null;
var port = 0;
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--script" when i + 1 < args.Length:
            scriptPath = args[++i];
            break;
        case "--port" when i + 1 < args.Length && int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out port):
            i++;
            break;
        default:
            await Console.Error.WriteLineAsync($"Unexpected argument '{args[i]}'. Usage: BasedEval.TestServer --script script.json [--port N]");
            return 2;
    }
}

if (scriptPath is null)
{
    await Console.Error.WriteLineAsync("Missing --script. Usage: BasedEval.TestServer --script script.json [--port N]");
    return 2;
}

ServerScript script;
try
{
    script = ServerScript.Load(scriptPath);
}
catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Text.Json.JsonException)
{
    await Console.Error.WriteLineAsync($"Cannot read the script {scriptPath}: {e.Message}");
    return 2;
}

using var stop = new CancellationTokenSource();

// The host's console lifetime takes SIGTERM and Ctrl+C to stop Kestrel but leaves the process waiting here for ever
// (a benchmark script's `kill; wait` hung on it); these handlers end the wait, during the warm-up too.
void Stop(PosixSignalContext context)
{
    context.Cancel = true;
    stop.Cancel();
}

using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
try
{
    await WarmUp.RunAsync(stop.Token);
}
catch (OperationCanceledException)
{
    return 0;
}

// Nothing reads the request records of a standalone server, and a benchmark sends it millions of requests.
await using var server = await TestLlmServer.StartAsync(script, port, recordRequests: false);
var stdout = Console.Out;
await stdout.WriteLineAsync($"listening on {server.BaseUrl.GetLeftPart(UriPartial.Authority)}");
await stdout.FlushAsync();

try
{
    await Task.Delay(Timeout.Infinite, stop.Token);
}
catch (OperationCanceledException)
{
    // Ctrl+C or SIGTERM: shut the server down cleanly.
}

// A benchmark sets its client's TTFT error against this: the part of it that was the server's own lateness.
var late = server.FirstContentLateness;
await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
    $"first content chunk written after its scripted time: p50 {late.P50Ms:0.00} ms, p99 {late.P99Ms:0.00} ms, max {late.MaxMs:0.00} ms over {late.Streams} streams"));

return 0;
