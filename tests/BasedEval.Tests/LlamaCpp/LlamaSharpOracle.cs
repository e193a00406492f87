using System.Diagnostics;
using System.Text;
using System.Text.Json;
using BasedEval.LlamaSharpOracle;

namespace BasedEval.Tests.LlamaCpp;

/// <summary>
/// The LLamaSharp oracle (tests/BasedEval.LlamaSharpOracle) as a child process on one model: its llama.cpp build cannot share
/// this process with BasedEval.LlamaCpp's natives, whose libraries carry the same names.
/// </summary>
internal sealed class LlamaSharpOracle : IAsyncDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly Process _process;
    private readonly StringBuilder _log = new();

    private LlamaSharpOracle(Process process)
    {
        _process = process;
        _process.ErrorDataReceived += (_, e) =>
        {
            lock (_log)
            {
                _log.AppendLine(e.Data);
            }
        };
        _process.BeginErrorReadLine();
    }

    public static string AssemblyPath => BuiltPrograms.AssemblyPath("LlamaSharpOracle");

    public static async Task<LlamaSharpOracle> StartAsync(string modelPath, int threads)
    {
        // LLamaSharp's CPU builds link OpenMP's runtime, which the project's own llama.cpp build does not need.
        var openMp = System.Runtime.InteropServices.NativeLibrary.TryLoad("libgomp.so.1", out var handle);
        if (openMp)
        {
            System.Runtime.InteropServices.NativeLibrary.Free(handle);
        }

        Prerequisite.RequireInstalledByCi(openMp, "LLamaSharp's CPU natives need libgomp.so.1, which this machine lacks (Debian: apt-get install libgomp1)");
        var info = new ProcessStartInfo("dotnet") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(AssemblyPath);
        info.ArgumentList.Add(modelPath);
        info.ArgumentList.Add(threads.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var oracle = new LlamaSharpOracle(Process.Start(info)!);
        await oracle.ReadAsync();
        return oracle;
    }

    public Task<OracleResponse> GreedyAsync(string prompt, int tokens) => AskAsync(new OracleRequest(prompt, tokens));

    public Task<OracleResponse> ScoreAsync(int[] context, int[][] continuations) => AskAsync(new OracleRequest(Context: context, Continuations: continuations));

    public async ValueTask DisposeAsync()
    {
        _process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _process.WaitForExitAsync(timeout.Token);
        _process.Dispose();
    }

    private async Task<OracleResponse> AskAsync(OracleRequest request)
    {
        await _process.StandardInput.WriteLineAsync(JsonSerializer.Serialize(request, Json));
        await _process.StandardInput.FlushAsync();
        var response = await ReadAsync();
        Assert.True(response.Error is null, $"the LLamaSharp oracle refused {JsonSerializer.Serialize(request, Json)}: {response.Error}");
        return response;
    }

    private async Task<OracleResponse> ReadAsync()
    {
        var line = await _process.StandardOutput.ReadLineAsync();
        if (line is null)
        {
            await _process.WaitForExitAsync();
            lock (_log)
            {
                Assert.Fail($"the LLamaSharp oracle exited {_process.ExitCode}: {_log}");
            }
        }

        return JsonSerializer.Deserialize<OracleResponse>(line!, Json)!;
    }
}
