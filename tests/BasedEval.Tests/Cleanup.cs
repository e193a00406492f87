namespace BasedEval.Tests;

/// <summary>Cleanup that never masks a test's real outcome: a skip, a failure or a pass stays what it was.</summary>
public static class Cleanup
{
    /// <summary>
    /// Deletes a test's folder with everything in it; a folder the test never made (it skipped first) or one that cannot
    /// be removed (a child process still holds it) is left as it is.
    /// </summary>
    public static void DeleteFolder(string path)
    {
        try
        {
            Directory.Delete(path, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }
}
