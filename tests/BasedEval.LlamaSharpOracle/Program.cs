using System.Text.Json;
using BasedEval.LlamaSharpOracle;
using LLama.Native;

// LLamaSharp's llama.cpp and BasedEval.LlamaCpp's natives both name their base library libggml-base.so: in one process the
// second build's libraries bind to the first's, so the oracle runs in a process of its own and speaks JSON lines.
if (args.Length != 2 || !int.TryParse(args[1], out var threads) || threads < 1)
{
    Console.Error.WriteLine("usage: BasedEval.LlamaSharpOracle MODEL.gguf THREADS  (then one JSON request per line on standard input)");
    return 2;
}

if (!File.Exists(args[0]))
{
    Console.Error.WriteLine($"{args[0]}: model file not found");
    return 2;
}

// Standard output carries the protocol only; llama.cpp's log goes to standard error.
NativeLibraryConfig.All.WithLogCallback((_, message) => Console.Error.Write(message));
var json = new JsonSerializerOptions(JsonSerializerDefaults.Web);
using var scorer = new LlamaSharpScorer(args[0], threads);
Console.WriteLine(JsonSerializer.Serialize(new OracleResponse(), json));
while (Console.ReadLine() is { } line)
{
    OracleResponse response;
    try
    {
        var request = JsonSerializer.Deserialize<OracleRequest>(line, json) ?? throw new JsonException("empty request");
        if (request.Prompt is not null)
        {
            var prompt = scorer.Tokenize(request.Prompt);
            var (tokens, logProbabilities) = scorer.Greedy(prompt, request.Generate);
            response = new OracleResponse(prompt, tokens, logProbabilities);
        }
        else
        {
            var context = request.Context ?? throw new JsonException("a request needs prompt, or context with continuations");
            response = new OracleResponse(ContinuationLogProbabilities: scorer.Score(context, request.Continuations ?? []));
        }
    }
    catch (Exception error) when (error is JsonException or InvalidOperationException or ArgumentException)
    {
        response = new OracleResponse(Error: error.Message);
    }

    Console.WriteLine(JsonSerializer.Serialize(response, json));
}

return 0;
