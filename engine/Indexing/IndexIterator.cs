using System.Buffers;
using LatticeKV.Indexing;

namespace LatticeKV;

/// <summary>
/// The entries of an index in a range of index keys, in order of (index key, primary key), each
/// with its primary value, all as of one point in time (the snapshot in the
/// <see cref="ReadOptions"/>, or the moment it was created). An entry whose primary value no
/// longer yields its index key is skipped. Not thread-safe; dispose it.
/// </summary>
/// <example>
/// <code>
/// using var it = db.QueryIndexPrefix(byAccount, IndexKeys.CompositePrefix("alice"u8.ToArray()));
/// for (it.SeekToLast(); it.Valid; it.Prev()) { /* newest first: it.PrimaryKey, it.Value */ }
/// </code>
/// </example>
public sealed class IndexIterator : IDisposable
{
    private const int MaxStaleRemembered = 1024;

    private readonly LatticeDb _db;
    private readonly LiveIndex _index;
    private readonly Snapshot? _ownSnapshot;
    private readonly ReadOptions _read;
    private readonly LatticeIterator _entries;
    private readonly ExtractedKeys _scratch = new();
    private readonly List<(byte[] IndexKey, byte[] PrimaryKey)> _stale = [];
    private byte[] _indexKey = new byte[64];
    private int _indexKeyLength;
    private byte[] _primaryKey = new byte[64];
    private int _primaryKeyLength;
    // The current entry's primary value: read into this one buffer for every entry (the check
    // reads it anyway), so walking an index allocates nothing per entry.
    private readonly ArrayBufferWriter<byte> _value = new(256);
    private bool _disposed;

    internal IndexIterator(LatticeDb db, LiveIndex index, byte[]? lower, byte[]? upper, ReadOptions? options)
    {
        _db = db;
        _index = index;
        var snapshot = options?.Snapshot;
        if (snapshot is null) snapshot = _ownSnapshot = db.GetSnapshot();
        _read = new ReadOptions { Snapshot = snapshot, FillCache = options?.FillCache ?? true };
        try
        {
            _entries = db.NewIterator(index.Entries, new ReadOptions { Snapshot = snapshot, FillCache = _read.FillCache, IterateLowerBound = lower, IterateUpperBound = upper });
        }
        catch
        {
            _ownSnapshot?.Dispose();
            throw;
        }
    }

    /// <summary>True when positioned at an entry.</summary>
    public bool Valid { get; private set; }

    /// <summary>The index key of the current entry (valid until the iterator moves).</summary>
    public ReadOnlySpan<byte> IndexKey => Current(_indexKey)[.._indexKeyLength];

    /// <summary>The primary key of the current entry (valid until the iterator moves).</summary>
    public ReadOnlySpan<byte> PrimaryKey => Current(_primaryKey)[.._primaryKeyLength];

    /// <summary>The primary value of the current entry (valid until the iterator moves).</summary>
    public ReadOnlySpan<byte> Value => Valid ? _value.WrittenSpan : throw new InvalidOperationException("The iterator is not positioned at an entry.");

    /// <summary>Moves to the first entry of the range.</summary>
    public void SeekToFirst()
    {
        ThrowIfDisposed();
        _entries.SeekToFirst();
        Settle(forward: true);
    }

    /// <summary>Moves to the last entry of the range.</summary>
    public void SeekToLast()
    {
        ThrowIfDisposed();
        _entries.SeekToLast();
        Settle(forward: false);
    }

    /// <summary>Moves to the next entry.</summary>
    public void Next()
    {
        ThrowIfDisposed();
        if (!Valid) throw new InvalidOperationException("The iterator is not positioned at an entry.");
        _entries.Next();
        Settle(forward: true);
    }

    /// <summary>Moves to the previous entry.</summary>
    public void Prev()
    {
        ThrowIfDisposed();
        if (!Valid) throw new InvalidOperationException("The iterator is not positioned at an entry.");
        _entries.Prev();
        Settle(forward: false);
    }

    /// <summary>Releases the iterator (and removes stale entries it met, when it read the latest state).</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        Valid = false;
        _entries.Dispose();
        _ownSnapshot?.Dispose();
        StaleEntryCleanup.Run(_db, _index, _stale);
    }

    /// <summary>Stops at the first valid entry from the current position, moving forward or back.</summary>
    private void Settle(bool forward)
    {
        Valid = false;
        for (; _entries.Valid; MoveOn(forward))
        {
            var entry = _entries.Key;
            if (_indexKey.Length < entry.Length) _indexKey = new byte[Math.Max(entry.Length, _indexKey.Length * 2)];
            if (!IndexKeyEncoding.TrySplit(entry, _indexKey, out _indexKeyLength, out var primaryKey)) continue; // document and statistics records
            var indexKey = _indexKey.AsSpan(0, _indexKeyLength);
            if (!IndexValidity.IsValid(_db, _index, indexKey, primaryKey, _read, _scratch, _value))
            {
                if (_stale.Count < MaxStaleRemembered) _stale.Add((indexKey.ToArray(), primaryKey.ToArray()));
                continue;
            }
            if (_primaryKey.Length < primaryKey.Length) _primaryKey = new byte[Math.Max(primaryKey.Length, _primaryKey.Length * 2)];
            primaryKey.CopyTo(_primaryKey);
            _primaryKeyLength = primaryKey.Length;
            if (_index.IsText) _db.TryGet(_index.Primary, primaryKey, _value, _read);
            Valid = true;
            return;
        }
    }

    private void MoveOn(bool forward)
    {
        if (forward) _entries.Next();
        else _entries.Prev();
    }

    private ReadOnlySpan<byte> Current(byte[] field)
    {
        if (!Valid) throw new InvalidOperationException("The iterator is not positioned at an entry.");
        return field;
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);
}
