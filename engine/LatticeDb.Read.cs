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
        var sv = cfd.AcquireSuperVersion();
        try
        {
            _stats.RecordGet();
            ulong maxCovering = 0;
            var decided = LookupMemTable(sv.Mem, cfd, key, snapshot, ref maxCovering, ref state, reader);
            if (decided != LookupState.NotFound) return decided == LookupState.Found;
            foreach (var imm in sv.Imm)
            {
                decided = LookupMemTable(imm, cfd, key, snapshot, ref maxCovering, ref state, reader);
                if (decided != LookupState.NotFound) return decided == LookupState.Found;
            }
            return LookupVersion(sv.Version, cfd, key, snapshot, options.FillCache, maxCovering, ref state, reader);
        }
        finally
        {
            sv.Release();
        }
    }

    private static LookupState LookupMemTable<TState>(MemTable mem, ColumnFamilyData cfd, ReadOnlySpan<byte> key, ulong snapshot,
        ref ulong maxCovering, ref TState state, ValueReader<TState> reader) where TState : allows ref struct
    {
        if (mem.RangeTombstoneCount > 0)
        {
            ulong covering = mem.GetRangeTombstones().MaxCoveringSequence(key, snapshot);
            if (covering > maxCovering) maxCovering = covering;
        }
        if (!mem.TryGet(key, snapshot, out var kind, out ulong seq, out var value)) return LookupState.NotFound;
        if (kind == ValueKind.Deletion || seq < maxCovering) return LookupState.Deleted;
        return Deliver(cfd, kind, key, value, ref state, reader);
    }

    private bool LookupVersion<TState>(LsmVersion version, ColumnFamilyData cfd, ReadOnlySpan<byte> key, ulong snapshot, bool fillCache,
        ulong maxCovering, ref TState state, ValueReader<TState> reader) where TState : allows ref struct
    {
        int length = key.Length + InternalKey.TrailerSize;
        byte[]? rented = null;
        Block? block = null;
        Span<byte> lookup = length <= 512 ? stackalloc byte[length] : (rented = ArrayPool<byte>.Shared.Rent(length)).AsSpan(0, length);
        try
        {
            InternalKey.Encode(lookup, key, snapshot, ValueKinds.ForSeek);
            var result = version.Get(_tableCache, lookup, snapshot, fillCache, ref maxCovering, out ulong trailer, out block, out int offset, out int valueLength);
            if (result != LookupState.Found) return false;
            var kind = (ValueKind)(byte)trailer;
            return Deliver(cfd, kind, key, block!.Data.AsSpan(offset, valueLength), ref state, reader) == LookupState.Found;
        }
        finally
        {
            // The block found (a value or a tombstone) is pinned until its bytes are delivered.
            block?.Unpin();
            if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
        }
    }

    // Where a scoped value is opened for a point read (the reader copies it out at once).
    [ThreadStatic] private static byte[]? t_scopeBuffer;

    private static LookupState Deliver<TState>(ColumnFamilyData cfd, ValueKind kind, ReadOnlySpan<byte> key, ReadOnlySpan<byte> stored,
        ref TState state, ValueReader<TState> reader) where TState : allows ref struct
    {
        if (!cfd.Policy.IsNoop && cfd.Policy.IsDead(kind, key, stored)) return LookupState.Deleted;
        reader(cfd.Policy.Reveal(kind, key, stored, ref t_scopeBuffer), ref state);
        return LookupState.Found;
    }
}
