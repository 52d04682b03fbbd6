namespace LatticeKV;

/// <summary>
/// Stored data failed a checksum or structural check. <see cref="FilePath"/> and
/// <see cref="Offset"/> say where, when known. Data is never returned from a damaged
/// region: the read or open that found the damage fails instead.
/// </summary>
public sealed class CorruptionException : LatticeException
{
    /// <summary>Creates a corruption error for a file region.</summary>
    public CorruptionException(string message, string? filePath = null, long offset = -1, Exception? innerException = null)
        : base(Describe(message, filePath, offset), innerException)
    {
        Reason = message;
        FilePath = filePath;
        Offset = offset;
    }

    /// <summary>What was wrong, without the location.</summary>
    public string Reason { get; }

    /// <summary>The damaged file, or null when the damage is not tied to one file.</summary>
    public string? FilePath { get; }

    /// <summary>Byte offset of the damaged region in <see cref="FilePath"/>, or -1 when unknown.</summary>
    public long Offset { get; }

    /// <summary>Returns a copy located in <paramref name="filePath"/>, keeping a known offset unless a new one is given.</summary>
    internal CorruptionException At(string filePath, long offset = -1)
        => new(Reason, filePath, offset >= 0 ? offset : Offset, this);

    private static string Describe(string message, string? filePath, long offset)
    {
        if (filePath is null) return "Corruption: " + message;
        return offset >= 0
            ? $"Corruption in '{filePath}' at offset {offset}: {message}"
            : $"Corruption in '{filePath}': {message}";
    }
}
