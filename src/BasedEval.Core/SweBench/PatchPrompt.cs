using System.Globalization;
using System.Text;

namespace BasedEval.Core.SweBench;

/// <summary>
/// The prompt of SWE-bench's generation settings: the issue, then the whole text of each context file with line numbers (so that
/// the model can write hunk headers), then the request for one unified diff. <see cref="PatchContext"/> chooses the files.
/// </summary>
public static class PatchPrompt
{
    public static string Build(SweBenchInstance instance, ContextSetting setting, IReadOnlyList<ContextFile> files)
    {
        ArgumentNullException.ThrowIfNull(instance);
        ArgumentNullException.ThrowIfNull(files);
        var builder = new StringBuilder();
        builder.Append("You are given an issue from the repository ").Append(instance.Repo).Append(setting == ContextSetting.Oracle
            ? " and the files that need to change to resolve it.\n\n"
            : " and files of the repository that may be relevant to it.\n\n");
        builder.Append("<issue>\n").Append(instance.ProblemStatement.TrimEnd()).Append("\n</issue>\n\n<code>\n");
        foreach (var file in files)
        {
            builder.Append(Listing(file));
        }

        builder.Append("</code>\n\n");
        builder.Append("Resolve the issue by changing the code above. Answer with a single patch in unified diff format that `git apply` ");
        builder.Append("accepts from the repository root, in one ```diff block, for example:\n\n");
        builder.Append("```diff\ndiff --git a/pkg/module.py b/pkg/module.py\n--- a/pkg/module.py\n+++ b/pkg/module.py\n@@ -3,4 +3,4 @@ def area(width, height):\n");
        builder.Append("     \"\"\"Area of a rectangle.\"\"\"\n-    return width + height\n+    return width * height\n \n \n```\n\n");
        builder.Append("The line numbers in the file listings are not part of the files.\n");
        return builder.ToString();
    }

    /// <summary>One file as the prompt shows it; <see cref="PatchContext"/> measures the token budget on this text.</summary>
    public static string Listing(ContextFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        var builder = new StringBuilder();
        builder.Append("[start of ").Append(file.Path).Append("]\n");
        var number = 0;
        foreach (var line in file.Text.Replace("\r\n", "\n", StringComparison.Ordinal).TrimEnd('\n').Split('\n'))
        {
            builder.Append((++number).ToString(CultureInfo.InvariantCulture)).Append(' ').Append(line).Append('\n');
        }

        return builder.Append("[end of ").Append(file.Path).Append("]\n").ToString();
    }
}
