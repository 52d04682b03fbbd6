namespace LatticeKV.Integrity;

/// <summary>A foreign key's stored state. Persistent format (FORMAT.md §18.2): do not renumber.</summary>
internal enum ForeignKeyState : byte
{
    /// <summary>Being added: new writes are checked while the existing data is verified. Found at open, it is withdrawn (its add never returned).</summary>
    Verifying = 0,

    /// <summary>Verified and enforced.</summary>
    Enforced = 1,
}
