using LatticeKV.Migrations;

namespace LatticeKV;

/// <summary>
/// Where a migration step writes its new data (<see cref="MigrationContext.ForEach"/>). Writes are
/// staged in a hidden family, committed with the batch of entries that produced them, and
/// published to their families when the step commits: until then every family still holds its
/// old data. A later write to the same key in the same step replaces the earlier one.
/// </summary>
public sealed class MigrationWriter
{
    private readonly StagingArea _staging;
    private WriteBatch _batch = new();

    internal MigrationWriter(StagingArea staging) => _staging = staging;

    internal WriteBatch Batch
    {
        get => _batch;
        set => _batch = value;
    }

    /// <summary>Stores <paramref name="value"/> under <paramref name="key"/> in <paramref name="columnFamily"/> when the step commits.</summary>
    public void Put(ColumnFamilyHandle columnFamily, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        ArgumentNullException.ThrowIfNull(columnFamily);
        _staging.Stage(_batch, columnFamily, key, value, delete: false);
    }

    /// <summary>Removes <paramref name="key"/> from <paramref name="columnFamily"/> when the step commits.</summary>
    public void Delete(ColumnFamilyHandle columnFamily, ReadOnlySpan<byte> key)
    {
        ArgumentNullException.ThrowIfNull(columnFamily);
        _staging.Stage(_batch, columnFamily, key, default, delete: true);
    }
}
