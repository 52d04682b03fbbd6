using LatticeKV.Coding;

namespace LatticeKV.Manifest;

/// <summary>
/// One change to one column family's state, as stored in the MANIFEST (FORMAT.md, "MANIFEST").
/// Encoded as a sequence of (varint32 tag, fields). Tags with <see cref="SafeToIgnoreBit"/> set
/// may be skipped by readers that do not know them; any other unknown tag is corruption.
/// Persistent format: do not renumber tags.
/// </summary>
internal sealed class VersionEdit
{
    public const uint SafeToIgnoreBit = 1u << 13;

    private enum Tag : uint
    {
        Comparator = 1,
        LogNumber = 2,
        NextFileNumber = 3,
        LastSequence = 4,
        MaxColumnFamily = 5,
        DeletedFile = 6,
        NewFile = 7,
        ColumnFamily = 8,
        ColumnFamilyAdd = 9,
        ColumnFamilyDrop = 10,
        ColumnFamilyOptions = 11,
        FormatVersion = 12,
        /// <summary>A blob file added (FORMAT.md §21.4): number, size, records, record bytes: varint64; checksum: fixed64.</summary>
        BlobFileAddition = 13,
        /// <summary>Garbage found in a blob file (FORMAT.md §21.4): number, records, bytes: varint64; added to what it had.</summary>
        BlobFileGarbage = 14,
        /// <summary>
        /// The data key of a sealed blob file (FORMAT.md §21.7): number: varint64, key id: varint32;
        /// follows the tag 13 of that file in the same edit (database format 10).
        /// </summary>
        BlobFileKey = 15,
    }

    private enum FileField : uint
    {
        NumEntries = 1,
        NumDeletions = 2,
        NumRangeDeletions = 3,
        RawKeySize = 4,
        RawValueSize = 5,
        KeyId = 6,
        Checksum = 7,
    }

    public uint ColumnFamilyId { get; set; }
    public string? ColumnFamilyAdd { get; set; }
    public bool ColumnFamilyDrop { get; set; }
    public byte[]? ColumnFamilyOptions { get; set; }
    public string? Comparator { get; set; }
    public uint? FormatVersion { get; set; }
    public long? LogNumber { get; set; }
    public long? NextFileNumber { get; set; }
    public ulong? LastSequence { get; set; }
    public uint? MaxColumnFamily { get; set; }
    public List<(int Level, long Number)> DeletedFiles { get; } = [];
    public List<(int Level, FileMetaData File)> NewFiles { get; } = [];

    /// <summary>Blob files the edit adds (database format 9).</summary>
    public List<Blob.BlobFileMetaData> NewBlobFiles { get; } = [];

    /// <summary>Garbage the edit adds to blob files: records and their bytes no table refers to any more.</summary>
    public List<(long Number, long Count, long Bytes)> BlobGarbage { get; } = [];

    public void AddFile(int level, FileMetaData file) => NewFiles.Add((level, file));

    public void DeleteFile(int level, long number) => DeletedFiles.Add((level, number));

    public void EncodeTo(ByteWriter w)
    {
        if (FormatVersion is { } fv) { w.WriteVarint((uint)Tag.FormatVersion); w.WriteVarint(fv); }
        if (Comparator is not null) { w.WriteVarint((uint)Tag.Comparator); w.WriteLengthPrefixed(Utf8.GetBytes(Comparator)); }
        if (ColumnFamilyId != 0) { w.WriteVarint((uint)Tag.ColumnFamily); w.WriteVarint(ColumnFamilyId); }
        if (ColumnFamilyAdd is not null) { w.WriteVarint((uint)Tag.ColumnFamilyAdd); w.WriteLengthPrefixed(Utf8.GetBytes(ColumnFamilyAdd)); }
        if (ColumnFamilyDrop) w.WriteVarint((uint)Tag.ColumnFamilyDrop);
        if (ColumnFamilyOptions is not null) { w.WriteVarint((uint)Tag.ColumnFamilyOptions); w.WriteLengthPrefixed(ColumnFamilyOptions); }
        if (LogNumber is { } log) { w.WriteVarint((uint)Tag.LogNumber); w.WriteVarint((ulong)log); }
        if (NextFileNumber is { } next) { w.WriteVarint((uint)Tag.NextFileNumber); w.WriteVarint((ulong)next); }
        if (LastSequence is { } last) { w.WriteVarint((uint)Tag.LastSequence); w.WriteVarint(last); }
        if (MaxColumnFamily is { } max) { w.WriteVarint((uint)Tag.MaxColumnFamily); w.WriteVarint(max); }
        foreach (var (level, number) in DeletedFiles)
        {
            w.WriteVarint((uint)Tag.DeletedFile);
            w.WriteVarint((uint)level);
            w.WriteVarint((ulong)number);
        }
        var extras = new ByteWriter(64);
        foreach (var (level, f) in NewFiles)
        {
            w.WriteVarint((uint)Tag.NewFile);
            w.WriteVarint((uint)level);
            w.WriteVarint((ulong)f.Number);
            w.WriteVarint((ulong)f.FileSize);
            w.WriteLengthPrefixed(f.Smallest);
            w.WriteLengthPrefixed(f.Largest);
            w.WriteVarint(f.SmallestSequence);
            w.WriteVarint(f.LargestSequence);
            extras.Clear();
            WriteField(extras, FileField.NumEntries, (ulong)f.NumEntries);
            WriteField(extras, FileField.NumDeletions, (ulong)f.NumDeletions);
            WriteField(extras, FileField.NumRangeDeletions, (ulong)f.NumRangeDeletions);
            WriteField(extras, FileField.RawKeySize, (ulong)f.RawKeySize);
            WriteField(extras, FileField.RawValueSize, (ulong)f.RawValueSize);
            if (f.KeyId != 0) WriteField(extras, FileField.KeyId, f.KeyId);
            if (f.Checksum != 0) WriteFixedField(extras, FileField.Checksum, f.Checksum);
            w.WriteLengthPrefixed(extras.WrittenSpan);
        }
        foreach (var b in NewBlobFiles)
        {
            w.WriteVarint((uint)Tag.BlobFileAddition);
            w.WriteVarint((ulong)b.Number);
            w.WriteVarint((ulong)b.FileSize);
            w.WriteVarint((ulong)b.TotalCount);
            w.WriteVarint((ulong)b.TotalBytes);
            w.WriteUInt64(b.Checksum);
            if (b.KeyId == 0) continue;
            w.WriteVarint((uint)Tag.BlobFileKey);
            w.WriteVarint((ulong)b.Number);
            w.WriteVarint(b.KeyId);
        }
        foreach (var (number, count, bytes) in BlobGarbage)
        {
            w.WriteVarint((uint)Tag.BlobFileGarbage);
            w.WriteVarint((ulong)number);
            w.WriteVarint((ulong)count);
            w.WriteVarint((ulong)bytes);
        }
    }

    private static void WriteFixedField(ByteWriter w, FileField field, ulong value)
    {
        w.WriteVarint((uint)field);
        w.WriteVarint(8);
        w.WriteUInt64(value);
    }

    private static void WriteField(ByteWriter w, FileField field, ulong value)
    {
        w.WriteVarint((uint)field);
        w.WriteVarint((ulong)Varint.Length(value));
        w.WriteVarint(value);
    }

    public static VersionEdit Decode(ReadOnlySpan<byte> data, int maxLevels)
    {
        var edit = new VersionEdit();
        var r = new SpanReader(data);
        while (!r.IsEmpty)
        {
            uint tag = r.ReadVarint32();
            switch ((Tag)tag)
            {
                case Tag.FormatVersion: edit.FormatVersion = r.ReadVarint32(); break;
                case Tag.Comparator: edit.Comparator = Utf8.GetString(r.ReadLengthPrefixed()); break;
                case Tag.ColumnFamily: edit.ColumnFamilyId = r.ReadVarint32(); break;
                case Tag.ColumnFamilyAdd: edit.ColumnFamilyAdd = Utf8.GetString(r.ReadLengthPrefixed()); break;
                case Tag.ColumnFamilyDrop: edit.ColumnFamilyDrop = true; break;
                case Tag.ColumnFamilyOptions: edit.ColumnFamilyOptions = r.ReadLengthPrefixed().ToArray(); break;
                case Tag.LogNumber: edit.LogNumber = ReadNumber(ref r); break;
                case Tag.NextFileNumber: edit.NextFileNumber = ReadNumber(ref r); break;
                case Tag.LastSequence: edit.LastSequence = r.ReadVarint(); break;
                case Tag.MaxColumnFamily: edit.MaxColumnFamily = r.ReadVarint32(); break;
                case Tag.DeletedFile:
                    edit.DeletedFiles.Add((ReadLevel(ref r, maxLevels), ReadNumber(ref r)));
                    break;
                case Tag.NewFile:
                    edit.NewFiles.Add(ReadNewFile(ref r, maxLevels));
                    break;
                case Tag.BlobFileAddition:
                    edit.NewBlobFiles.Add(new Blob.BlobFileMetaData
                    {
                        Number = ReadNumber(ref r),
                        FileSize = ReadNumber(ref r),
                        TotalCount = ReadNumber(ref r),
                        TotalBytes = ReadNumber(ref r),
                        Checksum = r.ReadUInt64(),
                    });
                    break;
                case Tag.BlobFileGarbage:
                    edit.BlobGarbage.Add((ReadNumber(ref r), ReadNumber(ref r), ReadNumber(ref r)));
                    break;
                case Tag.BlobFileKey:
                    ReadBlobFileKey(ref r, edit);
                    break;
                default:
                    if ((tag & SafeToIgnoreBit) == 0) throw new CorruptionException($"unknown MANIFEST tag {tag}");
                    r.ReadLengthPrefixed(); // ignorable tags carry a length-prefixed payload
                    break;
            }
        }
        return edit;
    }

    /// <summary>Tag 15 names the key of the blob file the edit's last tag 13 added; anything else is corruption.</summary>
    private static void ReadBlobFileKey(ref SpanReader r, VersionEdit edit)
    {
        long number = ReadNumber(ref r);
        uint keyId = r.ReadVarint32();
        if (edit.NewBlobFiles.Count == 0 || edit.NewBlobFiles[^1] is not { KeyId: 0 } last || last.Number != number || keyId == 0)
            throw new CorruptionException($"MANIFEST names key {keyId} for blob file {number}, which the edit did not just add");
        edit.NewBlobFiles[^1] = last with { KeyId = keyId };
    }

    private static (int, FileMetaData) ReadNewFile(ref SpanReader r, int maxLevels)
    {
        int level = ReadLevel(ref r, maxLevels);
        long number = ReadNumber(ref r);
        long size = ReadNumber(ref r);
        var smallest = r.ReadLengthPrefixed().ToArray();
        var largest = r.ReadLengthPrefixed().ToArray();
        if (!Keys.InternalKey.IsWellFormed(smallest) || !Keys.InternalKey.IsWellFormed(largest))
            throw new CorruptionException($"file {number} has a malformed key range");
        ulong smallestSeq = r.ReadVarint();
        ulong largestSeq = r.ReadVarint();
        var extras = new SpanReader(r.ReadLengthPrefixed());
        long entries = 0, deletions = 0, rangeDeletions = 0, rawKey = 0, rawValue = 0;
        uint keyId = 0;
        ulong checksum = 0;
        while (!extras.IsEmpty)
        {
            uint field = extras.ReadVarint32();
            var payload = new SpanReader(extras.ReadLengthPrefixed());
            switch ((FileField)field)
            {
                case FileField.NumEntries: entries = ReadNumber(ref payload); break;
                case FileField.NumDeletions: deletions = ReadNumber(ref payload); break;
                case FileField.NumRangeDeletions: rangeDeletions = ReadNumber(ref payload); break;
                case FileField.RawKeySize: rawKey = ReadNumber(ref payload); break;
                case FileField.RawValueSize: rawValue = ReadNumber(ref payload); break;
                case FileField.KeyId: keyId = payload.ReadVarint32(); break;
                case FileField.Checksum: checksum = payload.ReadUInt64(); break;
            }
        }
        return (level, new FileMetaData
        {
            Number = number,
            FileSize = size,
            Smallest = smallest,
            Largest = largest,
            SmallestSequence = smallestSeq,
            LargestSequence = largestSeq,
            NumEntries = entries,
            NumDeletions = deletions,
            NumRangeDeletions = rangeDeletions,
            RawKeySize = rawKey,
            RawValueSize = rawValue,
            KeyId = keyId,
            Checksum = checksum,
        });
    }

    private static long ReadNumber(ref SpanReader r)
    {
        ulong v = r.ReadVarint();
        if (v > long.MaxValue) throw new CorruptionException($"number {v} out of range");
        return (long)v;
    }

    private static int ReadLevel(ref SpanReader r, int maxLevels)
    {
        uint level = r.ReadVarint32();
        if (level >= maxLevels) throw new CorruptionException($"level {level} exceeds the {maxLevels} levels supported");
        return (int)level;
    }

    /// <summary>A MANIFEST record: several edits applied atomically (varint32 count, then length-prefixed edits).</summary>
    public static byte[] EncodeRecord(IReadOnlyList<VersionEdit> edits)
    {
        var w = new ByteWriter(256);
        var one = new ByteWriter(256);
        w.WriteVarint((uint)edits.Count);
        foreach (var e in edits)
        {
            one.Clear();
            e.EncodeTo(one);
            w.WriteLengthPrefixed(one.WrittenSpan);
        }
        return w.ToArray();
    }

    public static List<VersionEdit> DecodeRecord(ReadOnlySpan<byte> record, int maxLevels)
    {
        var r = new SpanReader(record);
        int count = r.ReadVarintInt(record.Length);
        var edits = new List<VersionEdit>(count);
        for (int i = 0; i < count; i++) edits.Add(Decode(r.ReadLengthPrefixed(), maxLevels));
        if (!r.IsEmpty) throw new CorruptionException("trailing bytes after MANIFEST edits");
        return edits;
    }
}
