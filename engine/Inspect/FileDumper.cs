using System.Buffers.Binary;
using LatticeKV.Coding;
using LatticeKV.Crypto;
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
    /// A file of an encrypted database shows only what is not sealed (see the overload taking
    /// <see cref="EncryptionOptions"/>).
    /// </summary>
    /// <exception cref="InvalidArgumentException">The file does not exist or its format cannot be told.</exception>
    public static FileDumpSummary Dump(string path, Action<DumpEntry> sink, DumpFileKind? kind = null)
        => Dump(RealFileSystem.Instance, System.IO.Path.GetFullPath(path), sink, kind, null);

    /// <summary>
    /// Dumps <paramref name="path"/>, which may belong to an encrypted database: its key registry
    /// is looked for beside the file (or, for a file in a repaired database's <c>lost/</c>, one
    /// level up) and opened with <paramref name="encryption"/>, so sealed records and blocks are
    /// shown decrypted. Without <paramref name="encryption"/> a sealed file yields no entries,
    /// only <see cref="FileDumpSummary.ContentsHidden"/> and what its framing and footer say.
    /// </summary>
    /// <exception cref="InvalidArgumentException">The file does not exist or its format cannot be told.</exception>
    /// <exception cref="EncryptionKeyException"><paramref name="encryption"/> does not open the database's key registry.</exception>
    public static FileDumpSummary Dump(string path, Action<DumpEntry> sink, DumpFileKind? kind, EncryptionOptions? encryption)
        => Dump(RealFileSystem.Instance, System.IO.Path.GetFullPath(path), sink, kind, encryption);

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

    internal static FileDumpSummary Dump(IFileSystem fs, string path, Action<DumpEntry> sink, DumpFileKind? kind, EncryptionOptions? encryption)
    {
        ArgumentNullException.ThrowIfNull(sink);
        if (!fs.FileExists(path)) throw new InvalidArgumentException($"'{path}' does not exist.", nameof(path));
        var k = kind ?? DetectKind(fs, path)
            ?? throw new InvalidArgumentException($"Cannot tell the format of '{path}': name it NNNNNN.sst, NNNNNN.log or MANIFEST-NNNNNN, or give the kind.", nameof(kind));
        string? db = DatabaseOf(fs, path);
        using var keys = db is null || encryption is null ? null : DatabaseKeys.Open(fs, db, encryption, "a dump");
        var counter = new Counter(sink);
        var sealing = k switch
        {
            DumpFileKind.Table => DumpTable(fs, path, counter, keys, encryptedDatabase: db is not null),
            DumpFileKind.Log => DumpLog(fs, path, counter, manifest: false, keys, locked: db is not null && keys is null),
            _ => DumpLog(fs, path, counter, manifest: true, keys, locked: db is not null && keys is null),
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
            Table = sealing.Table,
            Sealed = sealing.Sealed,
            KeyId = sealing.KeyId,
            KeyGeneration = DatabaseKeys.Generation(keys, sealing.KeyId),
            ContentsHidden = sealing.Hidden,
        };
    }

    /// <summary>What a dump learnt of a file's sealing, and its table properties.</summary>
    private readonly record struct Sealing(TableFileInfo? Table, bool Sealed, uint KeyId, string? Hidden);

    /// <summary>The encrypted database <paramref name="path"/> belongs to: its directory, or for a file in <c>lost/</c> the one above; null when neither holds a key registry.</summary>
    private static string? DatabaseOf(IFileSystem fs, string path)
    {
        string? dir = System.IO.Path.GetDirectoryName(path);
        if (dir is null) return null;
        if (DatabaseKeys.IsEncrypted(fs, dir)) return dir;
        string? parent = System.IO.Path.GetDirectoryName(dir);
        return System.IO.Path.GetFileName(dir) == "lost" && parent is not null && DatabaseKeys.IsEncrypted(fs, parent) ? parent : null;
    }

    private static Sealing DumpTable(IFileSystem fs, string path, Counter counter, KeyRegistry? keys, bool encryptedDatabase)
    {
        FileNames.Parse(System.IO.Path.GetFileName(path), out long number);
        uint keyId;
        try
        {
            using var file = fs.OpenRead(path);
            keyId = TableReader.ReadKeyId(file);
        }
        catch (CorruptionException ex)
        {
            counter.Damage(Math.Max(ex.Offset, 0), ex.Reason + "; the table's metadata is unreadable, so its blocks cannot be found");
            return default;
        }
        string? hidden = keyId == 0 ? null
            : keys is null ? (encryptedDatabase ? "sealed: give the database's key to see its entries" : "sealed, and no key registry lies beside it (or in the directory above lost/)")
            : DatabaseKeys.IsDestroyed(keys, keyId) ? "sealed with a key that was destroyed (its family was shredded): its entries can never be read"
            : null;
        if (hidden is not null)
        {
            var info = new TableFileInfo { Number = number, FileName = System.IO.Path.GetFileName(path), FileSize = fs.GetFileSize(path), SmallestKey = [], LargestKey = [], KeyRangeHidden = true, KeyId = keyId };
            return new Sealing(info, true, keyId, hidden);
        }
        var options = new TableReaderOptions(new InternalKeyComparator(KeyComparator.Bytewise), null, false, anyComparator: true, keys: keys);
        TableReader reader;
        try { reader = TableReader.Open(fs.OpenRead(path), number, options); }
        catch (CorruptionException ex)
        {
            counter.Damage(Math.Max(ex.Offset, 0), ex.Reason + "; the table's metadata is unreadable, so its blocks cannot be found");
            return new Sealing(null, keyId != 0, keyId, null);
        }
        catch (EncryptionKeyException ex)
        {
            return new Sealing(null, true, keyId, ex.Message);
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
            var table = DatabaseInspector.WithProperties(new TableFileInfo
            {
                Number = number,
                FileName = System.IO.Path.GetFileName(path),
                FileSize = reader.FileSize,
                SmallestKey = p.SmallestKey,
                LargestKey = p.LargestKey,
                KeyId = keyId,
                KeyGeneration = DatabaseKeys.Generation(keys, keyId),
                SmallestSequence = p.SmallestSequence,
                LargestSequence = p.LargestSequence,
                Entries = p.NumEntries,
                Deletions = p.NumDeletions,
                RangeDeletions = p.NumRangeDeletions,
            }, p);
            return new Sealing(table, keyId != 0, keyId, null);
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
                ValueKind.Merge => DumpEntryKind.Merge,
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

    /// <summary>
    /// Dumps a log or MANIFEST. With <paramref name="locked"/> (an encrypted database, no key)
    /// records are only counted: which files are sealed is itself recorded under the key.
    /// </summary>
    private static Sealing DumpLog(IFileSystem fs, string path, Counter counter, bool manifest, KeyRegistry? keys, bool locked)
    {
        FileNames.Parse(System.IO.Path.GetFileName(path), out long number);
        using var file = fs.OpenRead(path);
        var reader = new LogReader(file) { EndsAtLostPages = false }; // show every intact record, past holes too
        using var opener = SealedRecordOpener.For(keys, manifest ? FileKeyKind.Manifest : FileKeyKind.Log, number, path, salvage: true);
        uint keyId = 0;
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
            try
            {
                // A log's cipher header is framing, not a record of writes.
                if (opener is not null ? opener.TakeLogHeader(record, offset) : locked && !manifest && RecordCipher.TryReadLogHeader(record, out _, out _)) continue;
            }
            catch (CorruptionException ex)
            {
                counter.Damage(offset, "log cipher header: " + ex.Reason);
                continue;
            }
            counter.Records++;
            if (locked) continue;
            try
            {
                if (opener is not null && keyId == 0) keyId = opener.KeyIdOf(record);
                var plain = opener is null ? record : opener.Open(record, offset);
                if (manifest) DumpEdits(plain, offset, counter);
                else DumpBatch(plain, offset, counter);
            }
            catch (CorruptionException ex)
            {
                counter.Damage(offset, "record does not decode: " + ex.Reason);
            }
        }
        return locked ? new Sealing(null, true, 0, "the database is encrypted: give its key to see the records")
            : new Sealing(null, opener is not null, keyId, null);
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
