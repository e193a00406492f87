using System.CommandLine;
using BasedEval.Core.Config;
using BasedEval.Core.Gating;

namespace BasedEval.Cli.Commands;

/// <summary>`init [DIR]`: writes the default job (evals.yaml, the sample suites) that ships inside the tool.</summary>
internal static class InitCommand
{
    public static Command Create()
    {
        var directory = new Argument<string>("dir") { Description = "Folder to write into (created when absent)", DefaultValueFactory = _ => "." };
        var force = new Option<bool>("--force") { Description = "Overwrite files that already exist" };
        var command = new Command("init", "Write a starter evals.yaml and the sample suites, so `basedeval compare` runs the default job") { directory, force };
        command.SetAction((parse, cancellationToken) => CommandSupport.GuardAsync(parse, async output =>
        {
            var folder = Path.GetFullPath(parse.GetValue(directory)!);
            if (File.Exists(folder))
            {
                throw new ConfigException($"{folder} is a file, not a folder", "give a folder to write the starter files into");
            }

            var files = StarterFiles.All;
            if (!parse.GetValue(force))
            {
                var existing = files.Select(f => f.RelativePath).Where(p => File.Exists(Path.Combine(folder, p))).ToList();
                if (existing.Count > 0)
                {
                    throw new ConfigException(
                        $"{folder} already holds {string.Join(", ", existing)}; nothing was written",
                        "pass --force to overwrite them, or give an empty folder: `basedeval init DIR`");
                }
            }

            foreach (var file in files)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var path = Path.Combine(folder, file.RelativePath);
                try
                {
                    await file.WriteToAsync(path, cancellationToken);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    await parse.InvocationConfiguration.Error.WriteLineAsync($"error: cannot write {path}: {e.Message}; check that the folder is writable and has room, then run `basedeval init` again (with --force for the files already written)");
                    return ExitCodes.RunError;
                }
            }

            var shown = Path.GetRelativePath(Environment.CurrentDirectory, folder);
            await output.WriteLineAsync($"wrote {files.Count} files into {shown}: evals.yaml, suites/ and releases/");
            await output.WriteLineAsync(shown == "."
                ? "next: `basedeval compare` (the two local model files are made on first use)"
                : $"next: `cd {shown} && basedeval compare` (the two local model files are made on first use)");
            return ExitCodes.Pass;
        }));
        return command;
    }
}
