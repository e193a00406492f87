using System.CommandLine;
using BasedEval.Core.Config;
using BasedEval.Core.Gating;
using BasedEval.LlamaCpp;

namespace BasedEval.Cli.Commands;

/// <summary>Serves a GGUF model over OpenAI-compatible HTTP, so that any OpenAI client (BasedEval's own included) can use it.</summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model", "-m") { Description = "Path of the GGUF model file", Required = true };
        var host = new Option<string>("--host") { Description = "Address to listen on; 0.0.0.0 exposes the model to the network", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int>("--port", "-p") { Description = "Port to listen on; 0 picks a free one", DefaultValueFactory = _ => 8080 };
        var parallel = new Option<int>("--parallel") { Description = "Requests decoded together; more wait in arrival order", DefaultValueFactory = _ => 1 };
        var contextSize = new Option<int>("--context-size") { Description = "Tokens per request, prompt and output together", DefaultValueFactory = _ => 4096 };
        var threads = new Option<int>("--threads") { Description = "CPU threads; 0 uses every processor", DefaultValueFactory = _ => 0 };
        var gpuLayers = new Option<int>("--gpu-layers") { Description = "Layers offloaded to a GPU where there is one; -1 offloads all", DefaultValueFactory = _ => LlamaModel.AllLayers };
        var grace = new Option<double>("--grace-s") { Description = "On SIGTERM or Ctrl+C, seconds that requests in flight may take to finish before they are cut", DefaultValueFactory = _ => 10 };
        var command = new Command("serve", "Serve a GGUF model over OpenAI-compatible HTTP: /v1/chat/completions, /v1/completions, /v1/models")
        {
            model, host, port, parallel, contextSize, threads, gpuLayers, grace,
        };
        command.SetAction((parse, cancellationToken) => CommandSupport.GuardAsync(parse, async output =>
        {
            if (parse.GetValue(port) is < 0 or > 65535)
            {
                throw new ConfigException($"--port {parse.GetValue(port)} is not a port", "give a port from 1 to 65535, or 0 for a free one");
            }

            if (parse.GetValue(parallel) is < 1 or > 256 || parse.GetValue(contextSize) < 16 || parse.GetValue(threads) < 0 || parse.GetValue(grace) is < 0 or > 3600)
            {
                throw new ConfigException("--parallel, --context-size, --threads or --grace-s is out of range", "use --parallel 1 to 256, --context-size of at least 16, --threads 0 or more, --grace-s 0 to 3600");
            }

            LlamaModel loaded;
            try
            {
                loaded = LlamaModel.Load(parse.GetValue(model)!, parse.GetValue(gpuLayers));
            }
            catch (Exception e) when (e is LlamaException or IOException)
            {
                throw new ConfigException($"cannot load --model: {e.Message}", "give the path of a GGUF model file");
            }

            using (loaded)
            {
                using var engine = new LlamaEngine(loaded, new LlamaEngineOptions
                {
                    ContextSize = parse.GetValue(contextSize),
                    Threads = parse.GetValue(threads),
                    ParallelSlots = parse.GetValue(parallel),
                });
                OpenAiServer server;
                try
                {
                    server = await OpenAiServer.StartAsync(engine, new OpenAiServerOptions(parse.GetValue(host)!, parse.GetValue(port)) { ShutdownGrace = TimeSpan.FromSeconds(parse.GetValue(grace)) }, cancellationToken);
                }
                catch (ArgumentException e)
                {
                    throw new ConfigException(e.Message, "pass --host with an IP address");
                }
                catch (IOException e)
                {
                    throw new ConfigException($"cannot listen on {parse.GetValue(host)}:{parse.GetValue(port)}: {e.Message}", "pick another --port, or 0 for a free one");
                }

                await using (server)
                {
                    // Scripts and tests read the address from this first line.
                    await output.WriteLineAsync($"listening on {server.Address.GetLeftPart(UriPartial.Authority)}");
                    await output.FlushAsync(cancellationToken);
                    try
                    {
                        await Task.Delay(Timeout.Infinite, cancellationToken);
                    }
                    catch (OperationCanceledException)
                    {
                        // A termination signal is how a server is meant to stop.
                        await output.WriteLineAsync($"stopping: no new connections; requests in flight have {parse.GetValue(grace)} s to finish");
                    }
                }
            }

            await output.WriteLineAsync("stopped");

            return ExitCodes.Pass;
        }));
        return command;
    }
}
