using LatticeKV.Crypto;
using LatticeKV.Io;
using LatticeKV.Wal;

namespace LatticeKV.Db;

/// <summary>The key registry's files in the log framing.</summary>
internal sealed class LogFramedRecords(IFileSystem fs) : IRecordFiles
{
    public IFileSystem FileSystem => fs;

    public IRecordFileWriter Create(string path) => new Writer(new LogWriter(fs.CreateWritable(path)));

    public RecordFileContents Read(string path)
    {
        using var file = fs.OpenRead(path);
        var reader = new LogReader(file);
        var records = new List<(byte[], long)>();
        string? damage = null;
        long damageOffset = -1;
        while (reader.ReadRecord(out var record, out long offset))
        {
            if (reader.Issues.Count > 0 && damage is null)
            {
                damage = reader.Issues[0].Reason;
                damageOffset = reader.Issues[0].Offset;
                break; // damage before an intact record: nothing after it counts
            }
            records.Add((record.ToArray(), offset));
        }
        bool tornOnly = true;
        if (damage is not null) tornOnly = false;
        else if (reader.Issues.FirstOrDefault(i => i.IntactRecordFollows || !i.IsTruncatedTail) is { Reason: not null } bad)
        {
            damage = bad.Reason;
            damageOffset = bad.Offset;
            tornOnly = false;
        }
        else if (reader.Issues.Count > 0)
        {
            damage = reader.Issues[0].Reason;
            damageOffset = reader.Issues[0].Offset;
        }
        return new RecordFileContents(records, damage, damageOffset, tornOnly, reader.LastRecordEnd);
    }

    private sealed class Writer(LogWriter log) : IRecordFileWriter
    {
        public void AddRecord(ReadOnlySpan<byte> record) => log.AddRecord(record);

        public void Sync()
        {
            log.File.Flush();
            log.File.Sync();
        }

        public void Dispose() => log.Dispose();
    }
}
