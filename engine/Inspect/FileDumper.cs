using System.Buffers.Binary;
using LatticeKV.Coding;
using LatticeKV.Db;
using LatticeKV.Io;
using LatticeKV.Keys;
using LatticeKV.Manifest;
using LatticeKV.Sst;
using LatticeKV.Wal;

namespace LatticeKV.Inspect;

/// <summary>
/// Dumps every entry of one table, write-ahead log or MANIFEST in file order, for people
/// looking into a database (<c>lkv dump</c>). Damage does not stop it: a damaged log region or
/// table block becomes a <see cref="DumpEntryKind.Corruption"/> item at its offset and the dump
/// goes on with what follows. Reads only; takes no lock.
/// </summary>
[System.Diagnostics.CodeAnalysis.Experimental(Experimental.FileDumpDiagnostic)]
public static class FileDumper
{
    /// <summary>
    /// Dumps <paramref name="path"/> into <paramref name="sink"/>. The format is taken from the
    /// file name (<c>NNNNNN.sst</c>, <c>NNNNNN.log</c>, <c>MANIFEST-NNNNNN</c>) unless
    /// <paramref name="kind"/> is given; an unnamed table is recognised by its footer magic.
    /// </summary>
    /// <exception cref="InvalidArgumentException">The file does not exist or its format cannot be told.</exception>
    public static FileDumpSummary Dump(string path, Action<DumpEntry> sink, DumpFileKind? kind = null)
        => Dump(RealFileSystem.Instance, System.IO.Path.GetFullPath(path), sink, kind);

    /// <summary>The format of <paramref name="path"/> by name or content, or null when it cannot be told.</summary>
    public static DumpFileKind? DetectKind(string path) => DetectKind(RealFileSystem.Instance, System.IO.Path.GetFullPath(path));

    internal static DumpFileKind? DetectKind(IFileSystem fs, string path)
    {
        switch (FileNames.Parse(System.IO.Path.GetFileName(path), out _))
        {
            case DbFileKind.Table: return DumpFileKind.Table;
            case DbFileKind.Log: return DumpFileKind.Log;
            case DbFileKind.Manifest: return DumpFileKind.Manifest;
        }
        using var file = fs.OpenRead(path);
        if (file.Length < Footer.Size) return null;
        Span<byte> magic = stackalloc byte[8];
        return file.ReadExactly(file.Length - 8, magic) == 8 && BinaryPrimitives.ReadUInt64LittleEndian(magic) == Footer.Magic ? DumpFileKind.Table : null;
    }

    internal static FileDumpSummary Dump(IFileSystem fs, string path, Action<DumpEntry> sink, DumpFileKind? kind)
    {
        ArgumentNullException.ThrowIfNull(sink);
        if (!fs.FileExists(path)) throw new InvalidArgumentException($"'{path}' does not exist.", nameof(path));
        var k = kind ?? DetectKind(fs, path)
            ?? throw new InvalidArgumentException($"Cannot tell the format of '{path}': name it NNNNNN.sst, NNNNNN.log or MANIFEST-NNNNNN, or give the kind.", nameof(kind));
        var counter = new Counter(sink);
        TableFileInfo? table = k switch
        {
            DumpFileKind.Table => DumpTable(fs, path, counter),
            DumpFileKind.Log => DumpLog(fs, path, counter, manifest: false),
            _ => DumpLog(fs, path, counter, manifest: true),
        };
        return new FileDumpSummary
        {
            Path = path,
            Kind = k,
            Size = fs.GetFileSize(path),
            Entries = counter.Entries,
            Records = counter.Records,
            Corruptions = counter.Corruptions,
            FirstCorruptionOffset = counter.FirstCorruption,
            Table = table,
        };
    }

    private static TableFileInfo? DumpTable(IFileSystem fs, string path, Counter counter)
    {
        FileNames.Parse(System.IO.Path.GetFileName(path), out long number);
        var options = new TableReaderOptions(new InternalKeyComparator(KeyComparator.Bytewise), null, false, anyComparator: true);
        TableReader reader;
        try { reader = TableReader.Open(fs.OpenRead(path), number, options); }
        catch (CorruptionException ex)
        {
            counter.Damage(Math.Max(ex.Offset, 0), ex.Reason + "; the table's metadata is unreadable, so its blocks cannot be found");
            return null;
        }
        using (reader)
        {
            var p = reader.Properties;
            uint cf = p.ColumnFamilyId;
            var it = new BlockIterator(SpanComparer.Bytewise); // file order: no comparisons needed
            for (int b = 0; b < reader.Fences.Count; b++)
            {
                long offset = reader.Fences.Handle(b).Offset;
                try
                {
                    it.Reset(reader.GetDataBlock(b, fillCache: false));
                    for (it.SeekToFirst(); it.Valid; it.Next())
                    {
                        if (!InternalKey.IsWellFormed(it.Key)) throw new CorruptionException("malformed internal key");
                        counter.Emit(Entry(offset, InternalKey.Sequence(it.Key), cf, InternalKey.Kind(it.Key), InternalKey.UserKey(it.Key), it.Value, null));
                    }
                    counter.Records++;
                }
                catch (CorruptionException ex)
                {
                    counter.Damage(offset, ex.Reason + "; the rest of this data block is skipped");
                }
            }
            long rangeOffset = reader.MetaBlocks.TryGetValue("lattice.range_del", out var h) ? h.Offset : 0;
            foreach (var t in reader.RangeTombstones.AsTombstones())
                counter.Emit(new DumpEntry { Kind = DumpEntryKind.RangeDelete, Offset = rangeOffset, Sequence = t.Sequence, ColumnFamilyId = cf, Key = t.Begin, Value = t.End });
            return DatabaseInspector.WithProperties(new TableFileInfo
            {
                Number = number,
                FileName = System.IO.Path.GetFileName(path),
                FileSize = reader.FileSize,
                SmallestKey = p.SmallestKey,
                LargestKey = p.LargestKey,
                SmallestSequence = p.SmallestSequence,
                LargestSequence = p.LargestSequence,
                Entries = p.NumEntries,
                Deletions = p.NumDeletions,
                RangeDeletions = p.NumRangeDeletions,
            }, p);
        }
    }

    private static DumpEntry Entry(long offset, ulong sequence, uint cf, ValueKind kind, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, long? commitTime)
    {
        long? writeTime = commitTime;
        if (kind == ValueKind.TimedValue)
        {
            if (value.Length < 8) throw new CorruptionException("value with a TTL is shorter than its 8-byte write time");
            writeTime = BinaryPrimitives.ReadInt64LittleEndian(value);
            value = value[8..];
        }
        return new DumpEntry
        {
            Kind = kind switch
            {
                ValueKind.Deletion => DumpEntryKind.Delete,
                ValueKind.RangeDeletion => DumpEntryKind.RangeDelete,
                _ => DumpEntryKind.Put,
            },
            Offset = offset,
            Sequence = sequence,
            ColumnFamilyId = cf,
            Key = key.ToArray(),
            Value = kind == ValueKind.Deletion ? ReadOnlyMemory<byte>.Empty : value.ToArray(),
            WriteTimeMs = writeTime,
        };
    }

    private static TableFileInfo? DumpLog(IFileSystem fs, string path, Counter counter, bool manifest)
    {
        using var file = fs.OpenRead(path);
        var reader = new LogReader(file) { EndsAtLostPages = false }; // show every intact record, past holes too
        int issuesShown = 0;
        while (true)
        {
            bool more = reader.ReadRecord(out var record, out long offset);
            // Damage found while reading lies before the record returned.
            for (; issuesShown < reader.Issues.Count; issuesShown++)
            {
                var issue = reader.Issues[issuesShown];
                string message = $"{issue.Reason}; {issue.BytesDropped} bytes skipped";
                if (issue.IsTruncatedTail && !issue.IntactRecordFollows)
                    counter.Emit(new DumpEntry { Kind = DumpEntryKind.TornTail, Offset = issue.Offset, Message = message + " (an interrupted last write, dropped on recovery)" });
                else
                    counter.Damage(issue.Offset, message);
            }
            if (!more) break;
            counter.Records++;
            try
            {
                if (manifest) DumpEdits(record, offset, counter);
                else DumpBatch(record, offset, counter);
            }
            catch (CorruptionException ex)
            {
                counter.Damage(offset, "record does not decode: " + ex.Reason);
            }
        }
        return null;
    }

    private static void DumpBatch(ReadOnlySpan<byte> record, long offset, Counter counter)
    {
        var batch = new WriteBatchReader(record);
        ulong seq = batch.Sequence;
        while (batch.MoveNext())
            counter.Emit(Entry(offset, seq++, batch.ColumnFamilyId, batch.Kind, batch.Key, batch.Value, batch.CommitTimeMs));
    }

    private static void DumpEdits(ReadOnlySpan<byte> record, long offset, Counter counter)
    {
        foreach (var e in VersionEdit.DecodeRecord(record, 64))
        {
            counter.Emit(new DumpEntry
            {
                Kind = DumpEntryKind.Edit,
                Offset = offset,
                ColumnFamilyId = e.ColumnFamilyId,
                Edit = new ManifestEditInfo
                {
                    ColumnFamilyId = e.ColumnFamilyId,
                    ColumnFamilyAdded = e.ColumnFamilyAdd,
                    ColumnFamilyDropped = e.ColumnFamilyDrop,
                    Comparator = e.Comparator,
                    FormatVersion = e.FormatVersion,
                    LogNumber = e.LogNumber,
                    NextFileNumber = e.NextFileNumber,
                    LastSequence = e.LastSequence,
                    MaxColumnFamily = e.MaxColumnFamily,
                    ColumnFamilyOptions = e.ColumnFamilyOptions is { } o ? Utf8.GetString(o) : null,
                    AddedFiles = [.. e.NewFiles.Select(x => DatabaseInspector.FromMetadata(x.File, x.Level))],
                    DeletedFiles = [.. e.DeletedFiles.Select(x => new ManifestDeletedFile(x.Level, x.Number))],
                },
            });
        }
    }

    private sealed class Counter(Action<DumpEntry> sink)
    {
        public long Entries;
        public long Records;
        public int Corruptions;
        public long FirstCorruption = -1;

        public void Emit(DumpEntry entry)
        {
            if (entry.Kind is not (DumpEntryKind.Corruption or DumpEntryKind.TornTail)) Entries++;
            sink(entry);
        }

        public void Damage(long offset, string message)
        {
            Corruptions++;
            if (FirstCorruption < 0) FirstCorruption = offset;
            sink(new DumpEntry { Kind = DumpEntryKind.Corruption, Offset = offset, Message = message });
        }
    }
}
