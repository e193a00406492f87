using YamlDotNet.RepresentationModel;

namespace BasedEval.Core.Config;

/// <summary>The keys of a target with <c>provider: chatclient</c>: an IChatClient that a host application registered in code.</summary>
internal static class ChatClientSection
{
    private static readonly string[] ConnectionKeys = ["base_url", "api_key_env"];

    /// <summary>The client comes from the host's code, so what would configure a connection here is refused rather than ignored.</summary>
    public static ChatClientReference Read(YamlNodes yaml, Dictionary<string, YamlNode> f, YamlNode node, string what)
    {
        foreach (var key in ConnectionKeys.Where(f.ContainsKey))
        {
            throw yaml.Error(f[key], $"`{key}` does not apply to provider chatclient: {what} uses the IChatClient registered in code, which holds its own endpoint and key", $"remove `{key}`, or use provider openai or anthropic to let BasedEval connect");
        }

        var name = yaml.String(yaml.Required(f, node, "client", what, "NAME  # the name the host registered its IChatClient under"), $"`client` of {what}");
        return new ChatClientReference(name, yaml.OptionalString(f, "model", $"`model` of {what}"));
    }
}
