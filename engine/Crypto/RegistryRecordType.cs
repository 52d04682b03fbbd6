namespace LatticeKV.Crypto;

/// <summary>Types of sealed key registry records (FORMAT.md, "Key registry"). Persistent format: do not renumber.</summary>
internal enum RegistryRecordType : byte
{
    Key = 1,
    State = 2,
    SnapshotEnd = 3,
    FamilyShredded = 4,
    SealedFrom = 5,
    /// <summary>Several records applied together (one append: all or none after a crash).</summary>
    Group = 6,
}
