namespace BasedEval.Core.Suites;

/// <summary>
/// A suite's source data cannot be read as the suite's format: a missing file or folder, a row with the wrong number of
/// columns, an answer that is not a valid letter or index, malformed quoting, a file that is not UTF-8. Loaders never skip
/// such rows, because a silently shrunken suite makes two runs incomparable.
/// </summary>
public sealed class SuiteDataException(string file, long? line, string problem, string fix, Exception? innerException = null)
    : DataFileException(file, line, problem, fix, innerException);
