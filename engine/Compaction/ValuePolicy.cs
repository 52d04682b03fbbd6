using System.Buffers.Binary;
using LatticeKV.Keys;

namespace LatticeKV.Compaction;

/// <summary>
/// A column family's rules for values that should disappear: TTL expiry and the user's
/// <see cref="CompactionFilter"/>. Shared by reads (which hide such values) and by flush and
/// compaction (which turn them into tombstones), so both always agree. It also carries the
/// family's merge operator, which flush and compaction apply as reads do.
/// </summary>
internal sealed class ValuePolicy(TimeSpan? ttl, CompactionFilter? filter, TimeProvider clock, Crypto.ScopeCipher? scopes = null,
    IMergeOperator? mergeOperator = null)
{
    /// <summary>The family's merge operator (null: operands are kept as they are).</summary>
    public IMergeOperator? MergeOperator { get; } = mergeOperator;

    /// <summary>The family's scope keys when its values are scoped: a value whose scope was shredded is dead.</summary>
    public Crypto.ScopeCipher? Scopes { get; } = scopes;

    public TimeSpan? Ttl { get; } = ttl;

    public CompactionFilter? Filter { get; } = filter;

    public TimeProvider Clock { get; } = clock;

    /// <summary>True when there is no value to check (the common case: no TTL, no filter); says nothing of merges.</summary>
    public bool IsNoop => Ttl is null && Filter is null && Scopes is null;

    /// <summary>
    /// True when a stored value must be treated as deleted. <paramref name="stored"/> is the
    /// value as stored (a <see cref="ValueKind.TimedValue"/> still carries its 8-byte time).
    /// </summary>
    public bool IsDead(ValueKind kind, ReadOnlySpan<byte> userKey, ReadOnlySpan<byte> stored)
    {
        if (kind == ValueKind.TimedValue)
        {
            if (stored.Length < 8) throw new CorruptionException("timed value shorter than its 8-byte write time");
            if (Ttl is { } ttl)
            {
                long written = BinaryPrimitives.ReadInt64LittleEndian(stored);
                long now = Clock.GetUtcNow().ToUnixTimeMilliseconds();
                if (now - written >= (long)ttl.TotalMilliseconds) return true;
            }
            stored = stored[8..];
        }
        if (Scopes is not null && Scopes.IsShredded(stored)) return true;
        return Filter is not null && Filter.ShouldRemove(userKey, stored);
    }

    /// <summary>
    /// The user-visible bytes of a stored value, opened into <paramref name="buffer"/> when the
    /// family's values are scoped (the result is then valid until the buffer is reused).
    /// </summary>
    public ReadOnlySpan<byte> Reveal(ValueKind kind, ReadOnlySpan<byte> userKey, ReadOnlySpan<byte> stored, ref byte[]? buffer)
    {
        var value = UserValue(kind, stored);
        return Scopes is null ? value : Scopes.Open(userKey, value, ref buffer);
    }

    /// <summary>The user-visible bytes of a stored value of a family without scopes.</summary>
    public static ReadOnlySpan<byte> UserValue(ValueKind kind, ReadOnlySpan<byte> stored)
    {
        if (kind != ValueKind.TimedValue) return stored;
        if (stored.Length < 8) throw new CorruptionException("timed value shorter than its 8-byte write time");
        return stored[8..];
    }
}
