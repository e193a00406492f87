namespace BasedEval.Core;

/// <summary>
/// A data file cannot be read as its format, at a place that is named. The message reads <c>file:line: problem. Fix: fix</c>.
/// Readers never skip such records: a silently shrunken input makes two runs incomparable.
/// </summary>
public abstract class DataFileException : Exception
{
    protected DataFileException(string file, long? line, string problem, string fix, Exception? innerException)
        : base($"{(line is { } l ? $"{file}:{l}" : file)}: {problem}. Fix: {fix}", innerException)
    {
        File = file;
        Line = line;
        Problem = problem;
        Fix = fix;
    }

    /// <summary>The file or folder at fault, as it was given.</summary>
    public string File { get; }

    /// <summary>The 1-based line where the faulty record starts; null when the problem is not tied to one line.</summary>
    public long? Line { get; }

    /// <summary>What is wrong, without the location.</summary>
    public string Problem { get; }

    /// <summary>What to change so that the data loads.</summary>
    public string Fix { get; }
}
