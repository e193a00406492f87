using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using BasedEval.Core.Config;
using k8s;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace BasedEval.Cli.Commands;

/// <summary>
/// What Kubernetes accepts as a name, an image and a YAML value, checked here so a refused manifest is an exit 2 with
/// the fix rather than a `kubectl apply` error after the files were handed on.
/// </summary>
internal static partial class KubernetesText
{
    /// <summary>A DNS-1123 label (Namespace names, container and volume names): at most 63 characters.</summary>
    public const int LabelLength = 63;

    /// <summary>A DNS-1123 subdomain (ConfigMap and Secret names): at most 253 characters.</summary>
    public const int SubdomainLength = 253;

    /// <summary>
    /// The longest name derived from a comparison: an Indexed Job's pods are named `JOB-INDEX`, which must itself be a
    /// label, so `-shards`/`-compare` and `-99999` must still fit in 63.
    /// </summary>
    private const int BaseNameLength = LabelLength - 6 - 8;

    /// <summary>`basedeval-NAME` made of what a DNS-1123 label allows; a long or changed name keeps a hash of the original, so two comparisons never share one.</summary>
    public static string BaseName(string comparison)
    {
        ArgumentNullException.ThrowIfNull(comparison);
        var safe = Dashes().Replace(comparison.ToLowerInvariant(), "-").Trim('-');
        var name = $"basedeval-{(safe.Length == 0 ? "comparison" : safe)}";
        if (name.Length <= BaseNameLength && safe == comparison)
        {
            return name;
        }

        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(comparison)))[..6];
        return $"{name[..Math.Min(name.Length, BaseNameLength - hash.Length - 1)].TrimEnd('-')}-{hash}";
    }

    public static bool IsLabel(string name) => name.Length <= LabelLength && Label().IsMatch(name);

    public static bool IsSubdomain(string name) => name.Length <= SubdomainLength && Subdomain().IsMatch(name);

    /// <summary>A Secret's or ConfigMap's key.</summary>
    public static bool IsKey(string key) => key.Length <= SubdomainLength && Key().IsMatch(key) && key is not "." and not ".." && !key.StartsWith("..", StringComparison.Ordinal);

    /// <summary>An environment variable name as the API server has always accepted it.</summary>
    public static bool IsVariable(string name) => Variable().IsMatch(name);

    /// <summary>A ConfigMap key for a file: its path under evals.yaml's folder, `/` and anything a key cannot hold made `.` and `_`.</summary>
    public static string KeyFor(string relativePath)
    {
        ArgumentNullException.ThrowIfNull(relativePath);
        var key = NotKey().Replace(relativePath.Replace('/', '.'), "_");
        if (!IsKey(key))
        {
            var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(relativePath)))[..8];
            key = $"f_{key[^Math.Min(key.Length, SubdomainLength - 12)..].TrimStart('.')}-{hash}";
        }

        return key;
    }

    /// <summary>A name the option gives, or exit 2 naming the option and the form to use.</summary>
    public static string Checked(string value, string option, bool label)
    {
        ArgumentNullException.ThrowIfNull(value);
        return (label ? IsLabel(value) : IsSubdomain(value))
            ? value
            : throw new ConfigException(
                $"{option} is `{value}`, which is not a Kubernetes name",
                label
                    ? "write at most 63 lower-case letters, digits and '-', starting and ending with a letter or digit, e.g. `evals`"
                    : "write at most 253 lower-case letters, digits, '-' and '.', starting and ending with a letter or digit, e.g. `basedeval-store`");
    }

    /// <summary>An image reference as the container runtime parses it (distribution's reference grammar), or exit 2.</summary>
    public static string Image(string image)
    {
        ArgumentNullException.ThrowIfNull(image);
        var name = image.Split('@')[0];
        var slash = name.LastIndexOf('/');
        var colon = name.LastIndexOf(':');
        var repository = colon > slash ? name[..colon] : name;
        if (ImageReference().IsMatch(image) && repository.Length <= 255)
        {
            return image;
        }

        var why = image.Length == 0 ? "it is empty"
            : image.Any(char.IsWhiteSpace) ? "it holds a space"
            : repository.Any(char.IsAsciiLetterUpper) && ImageReference().IsMatch(image.ToLowerInvariant()) ? "a repository name is lower case"
            : "it does not read as REGISTRY/REPOSITORY[:TAG][@DIGEST]";
        throw new ConfigException($"--image is `{image}`, which is not an image reference: {why}", "write the image the pods run, e.g. `ghcr.io/team/basedeval:0.1.0` (a tag of at most 128 characters), or pin it with `@sha256:…`");
    }

    /// <summary>True where a tag may point at another build tomorrow: pods started later would run other code.</summary>
    public static bool IsFloating(string image)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (image.Contains('@', StringComparison.Ordinal))
        {
            return false;
        }

        var slash = image.LastIndexOf('/');
        var colon = image.LastIndexOf(':');
        return colon < slash || image[(colon + 1)..] == "latest";
    }

    /// <summary>
    /// The manifest as KubernetesYaml writes it, under a comment. kubectl reads YAML 1.1, where a plain `0x1F`, `1_000` or
    /// `.inf` is a number; KubernetesYaml quotes by YAML 1.2 and leaves those bare, so a string field holding one would
    /// reach the API server as a number and be refused. Those scalars alone are put in double quotes.
    /// </summary>
    public static string Yaml(object manifest, IEnumerable<string> comment)
    {
        var text = new StringBuilder();
        foreach (var line in comment)
        {
            // A line break in a name from evals.yaml would end the comment and start YAML.
            text.Append("# ").Append(new string(line.Select(ch => char.IsControl(ch) ? ' ' : ch).ToArray()).TrimEnd()).Append('\n');
        }

        var yaml = KubernetesYaml.Serialize(manifest).ReplaceLineEndings("\n");
        var bare = new List<(int Start, int End)>();
        var parser = new Parser(new StringReader(yaml));
        while (parser.MoveNext())
        {
            if (parser.Current is Scalar { Style: ScalarStyle.Plain } scalar && Yaml11Number(scalar.Value))
            {
                bare.Add(((int)scalar.Start.Index, (int)scalar.End.Index));
            }
        }

        var quoted = new StringBuilder(yaml);
        foreach (var (start, end) in Enumerable.Reverse(bare))
        {
            // Such a scalar holds only [0-9A-Za-z._:+-]: nothing in it needs escaping between double quotes.
            quoted.Insert(end, '"').Insert(start, '"');
        }

        return text.Append(quoted).Append(yaml.EndsWith('\n') ? string.Empty : "\n").ToString();
    }

    /// <summary>
    /// A plain scalar that YAML 1.1 (go-yaml v2, which kubectl's YAML-to-JSON uses) reads as other than a string, though
    /// KubernetesYaml meant a string: everything but an integer in canonical form, which is what an integer field is written as.
    /// </summary>
    private static bool Yaml11Number(string value)
    {
        if (CanonicalInteger().IsMatch(value) || value is "true" or "false")
        {
            return false;
        }

        if (Yaml11Words().IsMatch(value))
        {
            return true;
        }

        var plain = value.Replace("_", string.Empty, StringComparison.Ordinal);
        return value.Length > 0 && (char.IsAsciiDigit(value[0]) || value[0] is '+' or '-' or '.')
            && (Yaml11Integer().IsMatch(plain) || Yaml11Float().IsMatch(value[0] == '.' ? value : plain));
    }

    [GeneratedRegex("[^a-z0-9]+")]
    private static partial Regex Dashes();

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex Label();

    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex Subdomain();

    [GeneratedRegex("^[-._a-zA-Z0-9]+$")]
    private static partial Regex Key();

    [GeneratedRegex("[^-._a-zA-Z0-9]")]
    private static partial Regex NotKey();

    [GeneratedRegex("^[-._a-zA-Z][-._a-zA-Z0-9]*$")]
    private static partial Regex Variable();

    // distribution/reference: [domain[:port]/]path-component(/path-component)*[:tag][@algorithm:hex]
    [GeneratedRegex(@"^(?:(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*(?::[0-9]+)?/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,})?$")]
    private static partial Regex ImageReference();

    [GeneratedRegex("^(0|-?[1-9][0-9]*)$")]
    private static partial Regex CanonicalInteger();

    [GeneratedRegex(@"^(~|null|Null|NULL|y|Y|yes|Yes|YES|n|N|no|No|NO|True|TRUE|False|FALSE|on|On|ON|off|Off|OFF|[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN)|<<)$")]
    private static partial Regex Yaml11Words();

    [GeneratedRegex("^[-+]?(0[xX][0-9a-fA-F]+|0[oO]?[0-7]+|0[bB][01]+|[0-9]+)$")]
    private static partial Regex Yaml11Integer();

    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")]
    private static partial Regex Yaml11Float();
}
