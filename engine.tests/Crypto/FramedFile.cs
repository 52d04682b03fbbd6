using LatticeKV.Io;
using LatticeKV.Wal;

namespace LatticeKV.Tests.Crypto;

/// <summary>
/// The records of a file in the log framing (write-ahead logs, MANIFESTs, the key registry) and
/// the framing of a list of records: what a tamperer who can recompute CRCs, but not seal, can do.
/// </summary>
internal static class FramedFile
{
    /// <summary>Every record of <paramref name="file"/> with its offset; the file must be undamaged.</summary>
    public static List<(byte[] Record, long Offset)> Records(byte[] file)
    {
        var fs = new MemFileSystem();
        fs.CreateDirectory("/f");
        fs.SetContentsOfNew("/f/records", file);
        var reader = new LogReader(fs.OpenRead("/f/records"));
        var records = new List<(byte[], long)>();
        while (reader.ReadRecord(out var record, out long offset)) records.Add((record.ToArray(), offset));
        Assert.Empty(reader.Issues);
        return records;
    }

    /// <summary>The records framed from offset 0, as <see cref="LogWriter"/> writes them.</summary>
    public static byte[] Frame(IEnumerable<byte[]> records)
    {
        var fs = new MemFileSystem();
        fs.CreateDirectory("/f");
        using (var writer = new LogWriter(fs.CreateWritable("/f/records")))
            foreach (var r in records) writer.AddRecord(r);
        return fs.GetContents("/f/records");
    }

    /// <summary>Offsets at which <see cref="Frame"/> puts each of <paramref name="records"/>.</summary>
    public static List<long> OffsetsOf(IEnumerable<byte[]> records) => [.. Records(Frame(records)).Select(r => r.Offset)];

    private static void SetContentsOfNew(this MemFileSystem fs, string path, byte[] bytes)
    {
        using var w = fs.CreateWritable(path);
        w.Append(bytes);
    }
}
