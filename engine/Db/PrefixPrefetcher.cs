using LatticeKV.Cache;
using LatticeKV.Keys;
using LatticeKV.Manifest;
using LatticeKV.Sst;

namespace LatticeKV.Db;

/// <summary>
/// Learned prefetch (<see cref="PrefetchOptions"/>): each read's key prefix goes to a
/// <see cref="PrefixTransitionModel"/> (per column family); when the prefix changes, the first
/// blocks at the prefixes that usually follow the new one are handed to the
/// <see cref="BlockWarmer"/>, in every table of the family's current version that may hold
/// them (only tables already open: prefetch never opens a file on the reader's thread). Every
/// <see cref="CheckEvery"/> blocks issued, the share read before eviction is checked: below
/// <see cref="PrefetchOptions.MinUsefulRatio"/>, prefetch pauses for
/// <see cref="PauseReads"/> prefix changes (learning goes on), then tries again. Thread-safe.
/// </summary>
internal sealed class PrefixPrefetcher(PrefetchOptions options, BlockWarmer warmer, TableCache tables, AnticipationCounters counters)
{
    internal const int CheckEvery = 64;
    internal const int PauseReads = 1024;
    private readonly Lock _lock = new();
    // Guarded by _lock.
    private readonly PrefixTransitionModel _model = new(options.MaxPrefixes);
    private readonly Dictionary<uint, byte[]> _last = [];
    private readonly List<byte[]> _predicted = [];
    private long _checkIssued;
    private long _checkUsed;
    private int _pausedFor;
    private long _pauses;

    /// <summary>Prefixes the model holds (tests check it stays bounded).</summary>
    internal int ModelSize { get { lock (_lock) return _model.Count; } }

    /// <summary>Times prefetch paused itself for reading too little of what it loaded.</summary>
    public long Pauses => Interlocked.Read(ref _pauses);

    /// <summary>1 while paused.</summary>
    public bool Paused { get { lock (_lock) return _pausedFor > 0; } }

    /// <summary>The prefix of <paramref name="key"/> under the options.</summary>
    internal static ReadOnlySpan<byte> PrefixOf(ReadOnlySpan<byte> key, PrefetchOptions options)
    {
        if (options.Delimiter is not byte delimiter) return key[..Math.Min(key.Length, options.PrefixLength)];
        int seen = 0;
        for (int i = 0; i < key.Length && i < options.PrefixLength * 16; i++)
            if (key[i] == delimiter && ++seen == options.DelimiterCount) return key[..(i + 1)];
        return key[..Math.Min(key.Length, options.PrefixLength * 16)];
    }

    /// <summary>A read of <paramref name="key"/> in family <paramref name="family"/>, whose current version is <paramref name="version"/>.</summary>
    public void OnRead(uint family, LsmVersion version, InternalKeyComparator cmp, ReadOnlySpan<byte> key)
    {
        var prefix = PrefixOf(key, options);
        byte[][] targets;
        lock (_lock)
        {
            if (_last.TryGetValue(family, out var last) && last.AsSpan(4).SequenceEqual(prefix)) return;
            var current = new byte[4 + prefix.Length];
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(current, family);
            prefix.CopyTo(current.AsSpan(4));
            if (last is not null) _model.Record(last, current);
            _last[family] = current;
            if (Throttled()) return;
            _model.Predict(current, options.MinConfidence, _predicted);
            if (_predicted.Count == 0) return;
            targets = [.. _predicted.Take(2)];
        }
        foreach (var target in targets) Prefetch(version, cmp, target.AsSpan(4));
    }

    // Caller holds _lock.
    private bool Throttled()
    {
        if (_pausedFor > 0)
        {
            _pausedFor--;
            return true;
        }
        long issued = counters.IssuedBlocks(WarmOrigin.Prefetch);
        if (issued - _checkIssued < CheckEvery) return false;
        long used = counters.Used(WarmOrigin.Prefetch);
        double useful = (double)(used - _checkUsed) / (issued - _checkIssued);
        _checkIssued = issued;
        _checkUsed = used;
        if (useful >= options.MinUsefulRatio) return false;
        _pausedFor = PauseReads;
        Interlocked.Increment(ref _pauses);
        return true;
    }

    private void Prefetch(LsmVersion version, InternalKeyComparator cmp, ReadOnlySpan<byte> prefix)
    {
        byte[]? seekKey = null;
        for (int level = 0; level < version.NumLevels; level++)
        {
            foreach (var f in version.Files(level))
            {
                var smallest = InternalKey.UserKey(f.Smallest);
                if (cmp.CompareUser(InternalKey.UserKey(f.Largest), prefix) < 0) continue;
                if (cmp.CompareUser(smallest, prefix) > 0 && !smallest.StartsWith(prefix))
                {
                    if (level > 0) break; // sorted: later files start later still
                    continue;
                }
                if (!tables.TryAcquireOpen(f.Number, out var lease)) continue;
                using (lease)
                {
                    seekKey ??= InternalKey.Create(prefix, InternalKey.MaxSequence, ValueKinds.ForSeek);
                    int block = lease.Reader.Fences.LowerBound(seekKey, cmp);
                    if (block < lease.Reader.Fences.Count) warmer.Enqueue(f.Number, block, options.BlocksPerPrefix, 1, WarmOrigin.Prefetch);
                }
            }
        }
    }
}
