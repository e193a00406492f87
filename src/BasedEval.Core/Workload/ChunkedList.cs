using System.Collections;
using System.Runtime.CompilerServices;

namespace BasedEval.Core.Workload;

/// <summary>
/// An append-only list stored in fixed chunks below the large-object threshold. A doubling List copies everything at
/// each growth and leaves the old arrays on the large-object heap until a full collection: on a million-request replay
/// that held 63 MB at the last growth. Chunks are never copied and are compacted like any small object.
/// </summary>
internal sealed class ChunkedList<T> : IReadOnlyList<T>
    where T : struct
{
    private static readonly int ChunkLength = Math.Max(1, 80_000 / Unsafe.SizeOf<T>());
    private readonly List<T[]> _chunks = [];

    public int Count { get; private set; }

    public T this[int index] =>
        (uint)index < (uint)Count ? _chunks[index / ChunkLength][index % ChunkLength] : throw new ArgumentOutOfRangeException(nameof(index));

    public void Add(T item)
    {
        var offset = Count % ChunkLength;
        if (offset == 0)
        {
            _chunks.Add(new T[ChunkLength]);
        }

        _chunks[^1][offset] = item;
        Count++;
    }

    public IEnumerator<T> GetEnumerator()
    {
        for (var i = 0; i < Count; i++)
        {
            yield return _chunks[i / ChunkLength][i % ChunkLength];
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
