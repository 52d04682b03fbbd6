namespace LatticeKV.Crypto;

/// <summary>How new tables of an encrypted family are sealed: the family's active data key and the database's identity.</summary>
internal sealed record TableSealing(KeyEntry Key, byte[] DatabaseId);
