using BasedEval.Core.Config;
using BasedEval.Core.Targets;
using BasedEval.Core.Tokens;
using BasedEval.LlamaCpp.Gguf;

namespace BasedEval.LlamaCpp;

/// <summary>The llamacpp provider of evals.yaml, registered from this assembly so that Core never depends on native code.</summary>
public static class LlamaCppTargets
{
    /// <summary>Core's remote providers plus this one: what the command line and a host application both run with.</summary>
    public static TargetFactory Factory()
    {
        RegisterTokenCounters();
        return new TargetFactory().Register(ProviderKind.LlamaCpp, Create);
    }

    /// <summary>Local models count tokens with their own vocabulary, which only this assembly can read.</summary>
    public static void RegisterTokenCounters() => TokenCounters.RegisterGguf(GgufTokenCounter.Load);

    /// <summary>Builds the model file from its recipe when it is missing, then loads it.</summary>
    public static ITarget Create(TargetConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var local = config.Local ?? throw new ConfigException(config.Location.File, config.Location.Line, config.Location.Column,
            $"target `{config.Name}` uses provider llamacpp but has no model", "add `model_path:` with the path of a GGUF file");
        try
        {
            ModelFileBuilder.EnsureBuilt(local, LlamaBackend.Log);
            return new LlamaCppTarget(new LlamaCppTargetOptions(local.ModelPath)
            {
                Name = config.Name,
                GpuLayers = local.GpuLayers,
                ContextSize = local.ContextSize,
                Threads = local.Threads ?? 0,
                BatchSize = local.BatchSize,
                ParallelSlots = local.ParallelSlots,
                Scheduling = local.Scheduling == "pool" ? LlamaScheduling.ContextPool : LlamaScheduling.ParallelSequences,
                ConstrainStructuredOutput = local.ConstrainStructuredOutput,
            });
        }
        catch (Exception e) when (e is LlamaException or IOException or UnauthorizedAccessException)
        {
            throw new ConfigException(config.Location.File, config.Location.Line, config.Location.Column,
                $"target `{config.Name}` cannot load its model: {e.Message}",
                local.Build is null
                    ? "check `model_path:`; a damaged or partly downloaded GGUF file must be downloaded again"
                    : "check `model_path:` and `build:`; delete a damaged file and it is built again");
        }
    }
}
