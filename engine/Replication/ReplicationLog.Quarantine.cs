namespace LatticeKV.Replication;

// The quarantine (FORMAT.md §18.1): peers' changes the integrity rules refused, kept and readable.
internal sealed partial class ReplicationLog
{
    private static readonly byte[] QuarantinedPrefix = "quarantined/"u8.ToArray();
    private ColumnFamilyHandle? _quarantine;

    /// <summary>The integrity rules the remote apply consults (the database's validators), or null.</summary>
    public IRemoteApplyRules? Rules { get; set; }

    /// <summary>The quarantine family, made when the first change is quarantined (encrypted when the database is).</summary>
    public ColumnFamilyHandle QuarantineFamily()
    {
        if (Volatile.Read(ref _quarantine) is { } existing) return existing;
        lock (_lock)
            return _quarantine ??= Db.CreateColumnFamilyCore(QuarantineStore.Family, new ColumnFamilyOptions { Encrypted = Db.HasEncryption });
    }

    /// <summary>The state key counting the changes quarantined from <paramref name="peer"/>.</summary>
    public static byte[] QuarantinedCountKey(Guid peer) => [.. QuarantinedPrefix, .. peer.ToByteArray()];

    /// <summary>How many of <paramref name="peer"/>'s changes were quarantined here, ever.</summary>
    public long QuarantinedFrom(Guid peer)
    {
        if (_state is null) return 0;
        var value = Db.Get(_state, QuarantinedCountKey(peer));
        return value is null ? 0 : (long)ChangeStreamReader.ReadUInt64(value, "quarantine count");
    }

    /// <summary>Every quarantined change, by origin then origin sequence.</summary>
    public IEnumerable<QuarantinedChange> QuarantinedChanges()
    {
        if (Volatile.Read(ref _quarantine) is not { } family) yield break;
        using var it = Db.NewIterator(family, new ReadOptions { FillCache = false });
        for (it.SeekToFirst(); it.Valid; it.Next()) yield return QuarantineStore.Decode(it.Key, it.Value);
    }

    /// <summary>Forgets one quarantined change; false when there is none with that id.</summary>
    public bool DiscardQuarantined(string id)
    {
        var key = QuarantineStore.KeyOf(id);
        if (Volatile.Read(ref _quarantine) is not { } family || Db.Get(family, key) is null) return false;
        Db.Delete(family, key);
        return true;
    }
}
