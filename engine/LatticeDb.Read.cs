using System.Buffers;
using LatticeKV.Db;
using LatticeKV.Keys;
using LatticeKV.Manifest;
using LatticeKV.Memtable;
using LatticeKV.Sst;

namespace LatticeKV;

/// <summary>Receives a value found by a point lookup, without copying it first.</summary>
internal delegate void ValueReader<TState>(ReadOnlySpan<byte> value, ref TState state) where TState : allows ref struct;

// Point lookups: memtables, then immutable memtables, then the levels, newest data first.
public sealed partial class LatticeDb
{
    private bool GetCore<TState>(ColumnFamilyHandle columnFamily, ReadOnlySpan<byte> key, ReadOptions? options, ref TState state, ValueReader<TState> reader)
        where TState : allows ref struct
    {
        CheckHandle(columnFamily);
        WriteBatch.ValidateKey(key, nameof(key));
        options ??= ReadOptions.Default;
        ulong snapshot = ResolveSnapshot(options);
        var cfd = columnFamily.Data;
        long started = _metrics.Start();
        var sv = cfd.AcquireSuperVersion();
        try
        {
            _stats.RecordGet();
            OnReadForPrefetch(cfd, sv, key);
            ulong maxCovering = 0;
            var decided = LookupMemTable(sv.Mem, cfd, key, snapshot, ref maxCovering, ref state, reader);
            for (int i = 0; decided == LookupState.NotFound && i < sv.Imm.Length; i++)
                decided = LookupMemTable(sv.Imm[i], cfd, key, snapshot, ref maxCovering, ref state, reader);
            if (decided == LookupState.NotFound)
                decided = LookupVersion(sv.Version, cfd, key, snapshot, options.FillCache, maxCovering, ref state, reader);
            if (decided == LookupState.Merge) return GetMerged(sv, cfd, key, snapshot, options.FillCache, ref state, reader);
            return decided == LookupState.Found;
        }
        catch (CorruptionException ex) when (NoteCorruption(ex))
        {
            throw; // not reached: the filter only counts and reports the damage
        }
        finally
        {
            sv.Release();
            StopTimer(started, OperationKind.Get, cfd, key);
        }
    }

    private static LookupState LookupMemTable<TState>(MemTable mem, ColumnFamilyData cfd, ReadOnlySpan<byte> key, ulong snapshot,
        ref ulong maxCovering, ref TState state, ValueReader<TState> reader) where TState : allows ref struct
    {
        ReadOnlySpan<byte> value;
        var found = FindInMemTable(mem, key, snapshot, ref maxCovering, out var kind, out ulong _, out value);
        return found == LookupState.Found ? Deliver(cfd, kind, key, value, ref state, reader) : found;
    }

    /// <summary>The newest entry of <paramref name="key"/> in <paramref name="mem"/> at <paramref name="snapshot"/>: Found (a value or an operand), Deleted or NotFound.</summary>
    private static LookupState FindInMemTable(MemTable mem, ReadOnlySpan<byte> key, ulong snapshot, scoped ref ulong maxCovering,
        out ValueKind kind, out ulong sequence, out ReadOnlySpan<byte> value)
    {
        NoteCovering(mem, key, snapshot, ref maxCovering);
        if (!mem.TryGet(key, snapshot, out kind, out sequence, out value)) return LookupState.NotFound;
        return kind == ValueKind.Deletion || sequence < maxCovering ? LookupState.Deleted : LookupState.Found;
    }

    /// <summary>Raises <paramref name="maxCovering"/> to the newest range tombstone of <paramref name="mem"/> covering <paramref name="key"/> at <paramref name="snapshot"/>.</summary>
    private static void NoteCovering(MemTable mem, ReadOnlySpan<byte> key, ulong snapshot, scoped ref ulong maxCovering)
    {
        if (mem.RangeTombstoneCount == 0) return;
        ulong covering = mem.GetRangeTombstones().MaxCoveringSequence(key, snapshot);
        if (covering > maxCovering) maxCovering = covering;
    }

    private LookupState LookupVersion<TState>(LsmVersion version, ColumnFamilyData cfd, ReadOnlySpan<byte> key, ulong snapshot, bool fillCache,
        ulong maxCovering, ref TState state, ValueReader<TState> reader) where TState : allows ref struct
    {
        Block? block = null;
        try
        {
            var found = FindInVersion(version, key, snapshot, fillCache, maxCovering, out ulong trailer, out block, out int offset, out int length);
            if (found != LookupState.Found) return found;
            return Deliver(cfd, (ValueKind)(byte)trailer, key, block!.Data.AsSpan(offset, length), ref state, reader);
        }
        finally
        {
            // The block found (a value or a tombstone) is pinned until its bytes are delivered.
            block?.Unpin();
        }
    }

    /// <summary>The newest entry of <paramref name="key"/> in the tables at <paramref name="snapshot"/>; the caller unpins <paramref name="block"/>.</summary>
    private LookupState FindInVersion(LsmVersion version, ReadOnlySpan<byte> key, ulong snapshot, bool fillCache, ulong maxCovering,
        out ulong trailer, out Block? block, out int offset, out int length)
    {
        int lookupLength = key.Length + InternalKey.TrailerSize;
        byte[]? rented = null;
        Span<byte> lookup = lookupLength <= 512 ? stackalloc byte[lookupLength] : (rented = ArrayPool<byte>.Shared.Rent(lookupLength)).AsSpan(0, lookupLength);
        try
        {
            InternalKey.Encode(lookup, key, snapshot, ValueKinds.ForSeek);
            return version.Get(_tableCache, lookup, snapshot, fillCache, ref maxCovering, out trailer, out block, out offset, out length);
        }
        finally
        {
            if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
        }
    }

    // Where a scoped value is opened for a point read (the reader copies it out at once).
    [ThreadStatic] private static byte[]? t_scopeBuffer;

    private static LookupState Deliver<TState>(ColumnFamilyData cfd, ValueKind kind, ReadOnlySpan<byte> key, ReadOnlySpan<byte> stored,
        ref TState state, ValueReader<TState> reader) where TState : allows ref struct
    {
        if (kind == ValueKind.Merge) return LookupState.Merge;
        if (!cfd.Policy.IsNoop && cfd.Policy.IsDead(kind, key, stored)) return LookupState.Deleted;
        reader(cfd.Policy.Reveal(kind, key, stored, ref t_scopeBuffer), ref state);
        return LookupState.Found;
    }
}
