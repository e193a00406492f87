namespace BasedEval.Core.SweBench;

/// <summary>A document and how well it matches a query.</summary>
public sealed record Bm25Hit(string Id, double Score);

/// <summary>
/// Okapi BM25 over documents tokenized by <see cref="CodeTokenizer"/>: for each distinct query term t,
/// idf(t) · tf·(k1 + 1) / (tf + k1·(1 − b + b·|D| / avgdl)), with the non-negative idf ln(1 + (N − n + 0.5) / (n + 0.5)) of Lucene.
/// </summary>
public sealed class Bm25Index
{
    /// <summary>Term-frequency saturation: the usual 1.2, so a file that repeats a term many times is not worth many files.</summary>
    public const double DefaultK1 = 1.2;

    /// <summary>Length normalisation: the usual 0.75, so a long module does not win on length alone.</summary>
    public const double DefaultB = 0.75;

    private readonly List<string> _ids = [];
    private readonly List<Dictionary<string, int>> _frequencies = [];
    private readonly List<int> _lengths = [];
    private readonly Dictionary<string, int> _documentFrequency = new(StringComparer.Ordinal);
    private readonly double _k1;
    private readonly double _b;
    private readonly double _averageLength;

    public Bm25Index(IEnumerable<(string Id, string Text)> documents, double k1 = DefaultK1, double b = DefaultB)
    {
        ArgumentNullException.ThrowIfNull(documents);
        ArgumentOutOfRangeException.ThrowIfNegative(k1);
        if (b is < 0 or > 1)
        {
            throw new ArgumentOutOfRangeException(nameof(b), b, "b lies in [0, 1].");
        }

        _k1 = k1;
        _b = b;
        foreach (var (id, text) in documents)
        {
            var frequencies = new Dictionary<string, int>(StringComparer.Ordinal);
            var terms = CodeTokenizer.Tokenize(text);
            foreach (var term in terms)
            {
                frequencies[term] = frequencies.GetValueOrDefault(term) + 1;
            }

            foreach (var term in frequencies.Keys)
            {
                _documentFrequency[term] = _documentFrequency.GetValueOrDefault(term) + 1;
            }

            _ids.Add(id);
            _frequencies.Add(frequencies);
            _lengths.Add(terms.Count);
        }

        _averageLength = _lengths.Count == 0 ? 0 : _lengths.Average();
    }

    public int Count => _ids.Count;

    /// <summary>The documents that share a term with <paramref name="query"/>, best first; ties in document order, so equal inputs rank equally.</summary>
    public IReadOnlyList<Bm25Hit> Search(string query)
    {
        ArgumentNullException.ThrowIfNull(query);
        var terms = CodeTokenizer.Tokenize(query).Distinct(StringComparer.Ordinal)
            .Where(_documentFrequency.ContainsKey)
            .Select(t => (Term: t, Idf: Math.Log(1 + ((Count - _documentFrequency[t] + 0.5) / (_documentFrequency[t] + 0.5)))))
            .ToList();
        var hits = new List<(Bm25Hit Hit, int Order)>();
        for (var d = 0; d < Count; d++)
        {
            var score = 0.0;
            var norm = _k1 * (1 - _b + (_b * _lengths[d] / _averageLength));
            foreach (var (term, idf) in terms)
            {
                if (_frequencies[d].TryGetValue(term, out var tf))
                {
                    score += idf * tf * (_k1 + 1) / (tf + norm);
                }
            }

            if (score > 0)
            {
                hits.Add((new Bm25Hit(_ids[d], score), d));
            }
        }

        return [.. hits.OrderByDescending(h => h.Hit.Score).ThenBy(h => h.Order).Select(h => h.Hit)];
    }
}
