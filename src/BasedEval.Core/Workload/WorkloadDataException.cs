namespace BasedEval.Core.Workload;

/// <summary>
/// A workload file cannot be read as its format: a line that is not JSON, a request without messages, a batch line for
/// another endpoint, a trace row with a non-numeric token count. Readers never skip such records, because a replay that
/// silently drops requests no longer has production's load or volume.
/// </summary>
public sealed class WorkloadDataException(string file, long? line, string problem, string fix, Exception? innerException = null)
    : DataFileException(file, line, problem, fix, innerException);
