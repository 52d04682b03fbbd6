namespace LatticeKV;

/// <summary>
/// Bytes claimed to be chain data (a block header, a block, a transaction, a Merkle branch or
/// stored network evidence, FORMAT.md §22.4) do not parse: a field runs past the end, a count
/// or length is larger than the bytes left, a varint is not in its shortest form, or bytes are
/// left over. <see cref="Offset"/> is the byte where the bad field starts. Nothing of the input
/// is used.
/// </summary>
public sealed class ChainDataException : LatticeException
{
    /// <summary>Creates the error for the field at <paramref name="offset"/> of <paramref name="what"/>.</summary>
    public ChainDataException(string what, long offset, string reason)
        : base($"Malformed {what} at offset {offset}: {reason}")
    {
        What = what;
        Offset = offset;
        Reason = reason;
    }

    /// <summary>The structure being parsed ("block header", "transaction", "network evidence", ...).</summary>
    public string What { get; }

    /// <summary>Byte offset of the bad field in the input handed to the parser.</summary>
    public long Offset { get; }

    /// <summary>What was wrong, without the location.</summary>
    public string Reason { get; }
}
