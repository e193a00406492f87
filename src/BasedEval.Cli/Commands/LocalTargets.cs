using BasedEval.Core.Config;
using BasedEval.Core.Targets;
using BasedEval.LlamaCpp;
using BasedEval.LlamaCpp.Gguf;

namespace BasedEval.Cli.Commands;

/// <summary>The in-process llama.cpp provider, wired in here so that Core never depends on native code.</summary>
internal static class LocalTargets
{
    public static ITarget Create(TargetConfig config)
    {
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
