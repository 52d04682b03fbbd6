using LatticeKV.Io;

namespace LatticeKV.Crypto;

/// <summary>
/// The framing the key registry is stored in (the write-ahead log's, FORMAT.md §2), supplied by
/// a higher layer so that Crypto/ stays below the log code.
/// </summary>
internal interface IRecordFiles
{
    IFileSystem FileSystem { get; }

    /// <summary>A new file of framed records.</summary>
    IRecordFileWriter Create(string path);

    /// <summary>Every intact record of <paramref name="path"/> with its offset, and the first damage met, if any.</summary>
    RecordFileContents Read(string path);
}

/// <summary>Appends framed records to one file.</summary>
internal interface IRecordFileWriter : IDisposable
{
    void AddRecord(ReadOnlySpan<byte> record);

    /// <summary>Hands the records to the operating system and fsyncs them.</summary>
    void Sync();
}

/// <summary>
/// The records of a framed file. <see cref="Damage"/> describes the first problem; a torn tail
/// (<see cref="TornTailOnly"/>) is what a crash during an append leaves.
/// </summary>
internal sealed record RecordFileContents(List<(byte[] Record, long Offset)> Records, string? Damage, long DamageOffset, bool TornTailOnly, long End);
