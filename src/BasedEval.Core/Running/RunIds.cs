using System.Globalization;
using System.Security.Cryptography;

namespace BasedEval.Core.Running;

/// <summary>Ids of runs and comparisons: readable (kind, time, name) and safe in a path or a shell word.</summary>
public static class RunIds
{
    public static string New(string kind, string name)
    {
        var stamp = DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture);
        return $"{kind}-{stamp}-{Safe(name)}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3))}";
    }

    public static string Safe(string name) => new(name.Select(ch => char.IsAsciiLetterOrDigit(ch) || ch is '-' or '_' or '.' ? ch : '-').ToArray());
}
