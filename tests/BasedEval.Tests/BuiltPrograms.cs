using System.Reflection;

namespace BasedEval.Tests;

/// <summary>
/// Programs under tests/ that run as processes of their own (the LLamaSharp oracle, the store harness): the test project
/// builds them first and writes where their assemblies are into this one.
/// </summary>
public static class BuiltPrograms
{
    public static string AssemblyPath(string name)
    {
        var path = typeof(BuiltPrograms).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == name).Value!;
        Assert.True(File.Exists(path), $"{path} is missing: build tests/BasedEval.{name} (the test project references it)");
        return path;
    }
}
