using System.Collections.Concurrent;
using LatticeKV.Io;

namespace LatticeKV.Blob;

/// <summary>
/// Open blob files of one database, by number, opened on first use and kept until evicted
/// (when the file is deleted) or disposed. Thread-safe. Readers only read positionally, so
/// one instance serves every thread.
/// </summary>
internal sealed class BlobFileCache(IFileSystem fs, string dbPath) : IDisposable
{
    private readonly ConcurrentDictionary<long, Lazy<BlobFileReader>> _open = new();

    /// <summary>Statistics: values read from blob files, and their bytes.</summary>
    public long ValuesRead;
    public long BytesRead;

    /// <summary>Statistics: bytes of records read from blob files (as stored: headers included, compressed).</summary>
    public long RecordBytesRead;

    /// <summary>The key registry of an encrypted database: sealed blob files open with it (FORMAT.md §21.7). Set at open, before any read.</summary>
    public Crypto.KeyRegistry? Keys { get; set; }

    /// <summary>The value <paramref name="reference"/> names, in a new array. Damage is a <see cref="CorruptionException"/> naming the file and offset.</summary>
    public byte[] Read(in BlobReference reference)
    {
        var value = GC.AllocateUninitializedArray<byte>(ValueSize(reference));
        ReadInto(reference, value);
        return value;
    }

    /// <summary>The size of the value <paramref name="reference"/> names, checked against its blob file before a buffer that size is made.</summary>
    public int ValueSize(in BlobReference reference) => Get(reference.FileNumber).CheckedValueSize(reference);

    /// <summary>
    /// Decodes the value <paramref name="reference"/> names straight into <paramref name="destination"/>
    /// (<see cref="ValueSize"/> bytes). Damage is a <see cref="CorruptionException"/> naming the file and offset.
    /// </summary>
    public void ReadInto(in BlobReference reference, Span<byte> destination)
    {
        Get(reference.FileNumber).ReadInto(reference, destination);
        Interlocked.Increment(ref ValuesRead);
        Interlocked.Add(ref BytesRead, destination.Length);
        Interlocked.Add(ref RecordBytesRead, reference.RecordSize);
    }

    public BlobFileReader Get(long number)
    {
        var lazy = _open.GetOrAdd(number, n => new Lazy<BlobFileReader>(() => Open(n)));
        try { return lazy.Value; }
        catch
        {
            // A failed open is not remembered: the next read tries again (and reports again).
            _open.TryRemove(new KeyValuePair<long, Lazy<BlobFileReader>>(number, lazy));
            throw;
        }
    }

    private BlobFileReader Open(long number)
    {
        string path = FileNames.Blob(dbPath, number);
        if (!fs.FileExists(path)) throw new CorruptionException($"blob file {number} is missing", path);
        return BlobFileReader.Open(fs.OpenRead(path), number, Keys);
    }

    /// <summary>Forgets (and closes) file <paramref name="number"/>, which is being deleted.</summary>
    public void Evict(long number)
    {
        if (_open.TryRemove(number, out var lazy) && lazy.IsValueCreated) lazy.Value.Dispose();
    }

    public void Dispose()
    {
        foreach (var n in _open.Keys) Evict(n);
    }
}
