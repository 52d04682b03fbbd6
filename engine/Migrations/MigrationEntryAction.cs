namespace LatticeKV;

/// <summary>What <see cref="MigrationContext.ForEach"/> does with one entry of the old data: write its new form through <paramref name="writer"/>.</summary>
public delegate void MigrationEntryAction(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, MigrationWriter writer);
