using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using BasedEval.Tests.EndToEnd;
using BasedEval.Tests.LlamaCpp;

namespace BasedEval.Tests.Serve;

/// <summary>
/// A real `basedeval serve` process stopped the way systemd, Docker and Kubernetes stop one (SIGTERM) or a user does
/// (Ctrl+C, SIGINT): the stream in flight is finished, nothing new is accepted, the model is freed and the exit is 0.
/// </summary>
public class ServeShutdownTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("TERM")]
    [InlineData("INT")]
    public async Task A_termination_signal_finishes_the_stream_in_flight_and_exits_0(string signal)
    {
        var start = DotnetProcess.StartInfo("basedeval.dll", AppContext.BaseDirectory, "serve", "--model", SyntheticModels.F16, "--port", "0", "--threads", "1", "--grace-s", "60");
        // As from a terminal: a test host started in the background passes SIGINT on as ignored, and .NET keeps it so; the
        // server would never see the signal and, its stream ended on its own, run on.
        start.ArgumentList.Insert(0, start.FileName);
        start.ArgumentList.Insert(0, $"--default-signal={signal}");
        start.FileName = "env";
        using var process = Process.Start(start)!;
        var errors = process.StandardError.ReadToEndAsync(Cancel);
        try
        {
            var first = await process.StandardOutput.ReadLineAsync(Cancel).AsTask().WaitAsync(TimeSpan.FromSeconds(60), Cancel);
            Assert.True(first is not null, $"serve exited with {(process.HasExited ? process.ExitCode : -1)} before announcing its address: {(process.HasExited ? await errors : "")}");
            var address = new Uri(first!["listening on ".Length..]);
            using var http = new HttpClient { BaseAddress = address, Timeout = Timeout.InfiniteTimeSpan };
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/completions")
            {
                Content = new StringContent("""{"prompt": "Once upon a time", "max_tokens": 1500, "stream": true}""", Encoding.UTF8, "application/json"),
            };
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Cancel);
            using var stream = new StreamReader(await response.Content.ReadAsStreamAsync(Cancel));
            var firstEvent = await stream.ReadLineAsync(Cancel);
            Assert.StartsWith("data: ", firstEvent, StringComparison.Ordinal);

            Signals.Send(process.Id, signal);

            // The server's own word that the signal arrived, rather than an exit awaited on the chance that it did.
            var stopping = await LineWithinAsync(process.StandardOutput, TimeSpan.FromSeconds(60));
            Assert.True(stopping?.StartsWith("stopping: no new connections", StringComparison.Ordinal) == true,
                $"serve did not say it was stopping within 60 s of SIG{signal} but \"{stopping}\"; its signals: {SignalState(process.Id)}");
            var rest = await stream.ReadToEndAsync(Cancel);
            Assert.Contains("\"finish_reason\":", rest, StringComparison.Ordinal);
            Assert.EndsWith("data: [DONE]\n\n", rest, StringComparison.Ordinal);

            await process.WaitForExitAsync(Cancel).WaitAsync(TimeSpan.FromSeconds(60), Cancel);
            var output = await process.StandardOutput.ReadToEndAsync(Cancel);
            Assert.True(process.ExitCode == 0, $"exit {process.ExitCode}: {output} {await errors}");
            Assert.EndsWith("stopped\n", output, StringComparison.Ordinal);
            Assert.Contains("stopping cleanly", await errors, StringComparison.Ordinal);

            using var refused = new TcpClient();
            await Assert.ThrowsAsync<SocketException>(async () => await refused.ConnectAsync(address.Host, address.Port, Cancel));
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }

    private static async Task<string?> LineWithinAsync(StreamReader reader, TimeSpan deadline)
    {
        try
        {
            return await reader.ReadLineAsync(Cancel).AsTask().WaitAsync(deadline, Cancel);
        }
        catch (TimeoutException)
        {
            return null;
        }
    }

    /// <summary>The masks of ignored and caught signals, which show why a signal did nothing.</summary>
    private static string SignalState(int pid)
    {
        try
        {
            return string.Join(", ", File.ReadLines($"/proc/{pid}/status").Where(line => line.StartsWith("SigIgn", StringComparison.Ordinal) || line.StartsWith("SigCgt", StringComparison.Ordinal)));
        }
        catch (IOException e)
        {
            return e.Message;
        }
    }
}
