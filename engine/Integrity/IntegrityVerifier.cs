using LatticeKV.Indexing;

namespace LatticeKV.Integrity;

/// <summary>
/// Checks foreign keys and validators over all data as of one snapshot: every child entry's
/// parents exist, every value of a family with a validator passes it (<see cref="StoredValidatorsCheck"/>).
/// Memory is bounded by the number of violations listed (the rest are only counted).
/// </summary>
internal static class IntegrityVerifier
{
    public static IntegrityReport Verify(LatticeDb db, IEnumerable<LiveForeignKey> keys, int limit)
    {
        using var snapshot = db.GetSnapshot();
        var listed = new List<ReferentialIntegrityException.ForeignKeyViolation>();
        var notCheckable = new List<string>();
        long total = 0, children = 0;
        foreach (var key in keys.OrderBy(k => k.Name, StringComparer.Ordinal))
        {
            if (key.Extractor is MissingCustomExtractor)
            {
                notCheckable.Add($"{key.Name}: its parent key extractor ('{key.Extractor.CustomName}') is custom code not supplied at open (DbOptions.IndexExtractors)");
                continue;
            }
            listed.AddRange(Violations(db, key, snapshot, limit - listed.Count, out long found, out long checkedHere));
            total += found;
            children += checkedHere;
        }
        var invalid = StoredValidatorsCheck.Violations(db, snapshot, limit, notCheckable, out long invalidCount, out long values);
        return new IntegrityReport(listed, total, children, notCheckable) { ValidationViolations = invalid, ValidationViolationCount = invalidCount, ValuesChecked = values };
    }

    /// <summary>The violations of one foreign key as of a new snapshot, up to <paramref name="limit"/>.</summary>
    public static List<ReferentialIntegrityException.ForeignKeyViolation> Violations(LatticeDb db, LiveForeignKey key, int limit, out long found, out long children)
    {
        using var snapshot = db.GetSnapshot();
        return Violations(db, key, snapshot, limit, out found, out children);
    }

    private static List<ReferentialIntegrityException.ForeignKeyViolation> Violations(LatticeDb db, LiveForeignKey key, Snapshot snapshot, int limit, out long found, out long children)
    {
        var list = new List<ReferentialIntegrityException.ForeignKeyViolation>();
        var read = new ReadOptions { Snapshot = snapshot };
        var parents = new ExtractedKeys();
        found = 0;
        children = 0;
        using var it = db.NewIterator(key.Child, new ReadOptions { Snapshot = snapshot, FillCache = false });
        for (it.SeekToFirst(); it.Valid; it.Next())
        {
            children++;
            parents.Clear();
            key.Extractor.Extract(it.Key, it.Value, parents);
            foreach (var parent in parents.Keys)
            {
                if (db.Get(key.Parent, parent, read) is not null) continue;
                found++;
                if (list.Count < limit) list.Add(Violation(db, key, it.Key.ToArray(), parent));
            }
        }
        return list;
    }

    public static ReferentialIntegrityException.ForeignKeyViolation Violation(LatticeDb db, LiveForeignKey key, byte[] child, byte[] parent)
        => new(key.Name, key.Child.Name, child, parent, KeyText.Describe(child, db.HasEncryption), KeyText.Describe(parent, db.HasEncryption));
}
