namespace BasedEval.Core.Storage;

/// <summary>
/// Known: in a source's first listing, recorded without being run. Pending: new since, its evaluation not finished (a
/// watch that stopped midway finishes it next time). Evaluated: its comparison is stored and it is never run again.
/// </summary>
public enum WatchedStatus
{
    Known,
    Pending,
    Evaluated,
}

/// <param name="Listed">Whether the source's latest listing holds it; a model that leaves a listing is kept, not forgotten.</param>
public sealed record WatchedModel(
    string Source,
    string ModelId,
    WatchedStatus Status,
    bool Listed,
    DateTimeOffset FirstSeenUtc,
    DateTimeOffset LastListedUtc,
    string? ComparisonId = null,
    string? Verdict = null);

/// <summary>What the store knows of one release source: when it was first listed, and every model it ever listed.</summary>
public sealed record WatchedSource(string Source, DateTimeOffset FirstListedUtc, IReadOnlyList<WatchedModel> Models);
