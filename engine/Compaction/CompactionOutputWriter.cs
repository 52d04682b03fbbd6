using LatticeKV.Io;
using LatticeKV.Keys;
using LatticeKV.Manifest;
using LatticeKV.Sst;

namespace LatticeKV.Compaction;

/// <summary>
/// Writes the output of a flush or compaction into one or more tables. A new table starts only
/// between user keys (all versions of a key stay in one file, which keeps levels free of
/// user-key overlap) once the current one reaches the size target or overlaps too much of the
/// grandparent level. Range tombstones are cut at those boundaries so that each file's key
/// range covers exactly the tombstones it holds.
/// </summary>
internal sealed class CompactionOutputWriter : IDisposable
{
    private readonly IFileSystem _fs;
    private readonly string _db;
    private readonly Func<long> _newFileNumber;
    private readonly TableBuilderOptions _builderOptions;
    private readonly InternalKeyComparator _cmp;
    private readonly long _maxFileSize;
    private readonly IReadOnlyList<FileMetaData> _grandparents;
    private readonly long _maxGrandparentOverlap;
    private readonly CompactionStats _stats;
    private readonly List<RangeTombstone> _pendingTombstones;
    private TableBuilder? _builder;
    private long _builderNumber;
    private int _grandparentIndex;
    private long _overlappedBytes;
    private bool _seenKey;
    // Values apart from keys (FORMAT.md §21): the blob file being written, and the finished ones.
    private readonly BlobSeparation? _blobs;
    private Blob.BlobFileWriter? _blobWriter;
    private byte[] _blobKey = new byte[64];
    // The blob files the current table refers to (its FileMetaData.BlobFileNumbers).
    private readonly HashSet<long> _tableBlobFiles = [];

    public CompactionOutputWriter(IFileSystem fs, string db, Func<long> newFileNumber, TableBuilderOptions builderOptions,
        long maxFileSize, IReadOnlyList<FileMetaData> grandparents, long maxGrandparentOverlap, List<RangeTombstone> tombstones, CompactionStats stats,
        BlobSeparation? blobs = null)
    {
        _blobs = blobs;
        _fs = fs;
        _db = db;
        _newFileNumber = newFileNumber;
        _builderOptions = builderOptions;
        _cmp = builderOptions.Comparator;
        _maxFileSize = maxFileSize;
        _grandparents = grandparents;
        _maxGrandparentOverlap = maxGrandparentOverlap;
        _stats = stats;
        _pendingTombstones = tombstones;
        _pendingTombstones.Sort((a, b) => _cmp.CompareUser(a.Begin, b.Begin));
    }

    public List<FileMetaData> Outputs { get; } = [];

    /// <summary>Adds an entry; <paramref name="newUserKey"/> says it starts a new user key (a legal cut point).</summary>
    public void Add(ReadOnlySpan<byte> internalKey, ReadOnlySpan<byte> value, bool newUserKey)
    {
        if (newUserKey && _builder is not null && ShouldStopBefore(internalKey))
            FinishFile(InternalKey.UserKey(internalKey).ToArray());
        if (_builder is null) StartFile();
        if (_stats.CountBlobReferences && InternalKey.Kind(internalKey) == ValueKind.BlobIndex)
        {
            var r = Blob.BlobReference.Decode(value);
            _stats.BlobReferences.TryGetValue(r.FileNumber, out var n);
            _stats.BlobReferences[r.FileNumber] = (n.Count + 1, n.Bytes + r.RecordSize);
        }
        if (_blobs is not null) SeparateAndAdd(internalKey, value);
        else AddToTable(internalKey, value);
    }

    /// <summary>Adds an entry to the current table as it is, noting the blob file a reference names.</summary>
    private void AddToTable(ReadOnlySpan<byte> internalKey, ReadOnlySpan<byte> value)
    {
        if (InternalKey.Kind(internalKey) == ValueKind.BlobIndex) _tableBlobFiles.Add(Blob.BlobReference.Decode(value).FileNumber);
        _builder!.Add(internalKey, value);
    }

    /// <summary>
    /// Adds an entry, moving its value to a blob file when it is large enough, and moving a blob
    /// reference's value to a new blob file when its file is being garbage-collected.
    /// </summary>
    private void SeparateAndAdd(ReadOnlySpan<byte> internalKey, ReadOnlySpan<byte> value)
    {
        var blobs = _blobs!;
        var kind = InternalKey.Kind(internalKey);
        Blob.BlobReference written;
        if (ValueKinds.IsPointValue(kind) && blobs.Threshold > 0 && value.Length >= blobs.Threshold && value.Length <= Blob.BlobFileFormat.MaxValueSize)
        {
            written = WriteBlob(kind, value);
        }
        else if (kind == ValueKind.BlobIndex)
        {
            var old = Blob.BlobReference.Decode(value);
            if (!blobs.MustRelocate(old.FileNumber, _builderOptions.Sealing?.Key.Id ?? 0))
            {
                AddToTable(internalKey, value);
                return;
            }
            long before = _stats.BlobBytesWritten;
            written = WriteBlob(old.Kind, blobs.Files.Read(old));
            _stats.AddBlobGarbage(old);
            _stats.BlobValuesRelocated++;
            _stats.BlobBytesRelocated += _stats.BlobBytesWritten - before;
        }
        else
        {
            AddToTable(internalKey, value);
            return;
        }
        if (_blobKey.Length < internalKey.Length) _blobKey = new byte[Math.Max(internalKey.Length, _blobKey.Length * 2)];
        internalKey.CopyTo(_blobKey);
        _blobKey[internalKey.Length - InternalKey.TrailerSize] = (byte)ValueKind.BlobIndex;
        Span<byte> reference = stackalloc byte[Blob.BlobReference.MaxEncodedLength];
        _tableBlobFiles.Add(written.FileNumber);
        _builder!.Add(_blobKey.AsSpan(0, internalKey.Length), reference[..written.Encode(reference)]);
    }

    private Blob.BlobReference WriteBlob(ValueKind kind, ReadOnlySpan<byte> value)
    {
        var blobs = _blobs!;
        if (_blobWriter is not null && _blobWriter.Length >= blobs.MaxFileSize) FinishBlobFile();
        if (_blobWriter is null)
        {
            long number = _newFileNumber();
            // Sealed with the key the job's tables are sealed with: no value of an encrypted family reaches a file in plaintext.
            _blobWriter = Blob.BlobFileWriter.Create(_fs.CreateWritable(FileNames.Blob(_db, number)), number, blobs.ColumnFamily, blobs.ZstdLevel,
                _builderOptions.Sealing);
        }
        long before = _blobWriter.Length;
        var reference = _blobWriter.Add(kind, value);
        _stats.BlobValuesWritten++;
        _stats.BlobBytesWritten += _blobWriter.Length - before;
        return reference;
    }

    private void FinishBlobFile()
    {
        var writer = _blobWriter!;
        var meta = writer.Finish();
        writer.Dispose();
        _blobWriter = null;
        _stats.BlobFiles.Add(meta);
        _stats.BytesWritten += meta.FileSize;
    }

    private bool ShouldStopBefore(ReadOnlySpan<byte> internalKey)
    {
        while (_grandparentIndex < _grandparents.Count && _cmp.Compare(internalKey, _grandparents[_grandparentIndex].Largest) > 0)
        {
            if (_seenKey) _overlappedBytes += _grandparents[_grandparentIndex].FileSize;
            _grandparentIndex++;
        }
        _seenKey = true;
        if (_builder!.EstimatedFileSize >= _maxFileSize) return true;
        if (_overlappedBytes > _maxGrandparentOverlap)
        {
            _overlappedBytes = 0;
            return true;
        }
        return false;
    }

    private void StartFile()
    {
        _builderNumber = _newFileNumber();
        _builder = new TableBuilder(_fs.CreateWritable(FileNames.Table(_db, _builderNumber)), _builderOptions, _builderNumber);
    }

    /// <summary>
    /// Closes the current file. Tombstones starting before <paramref name="nextUserKey"/> (all of
    /// them when null) go into it, cut at that key.
    /// </summary>
    private void FinishFile(byte[]? nextUserKey)
    {
        var builder = _builder!;
        for (int i = 0; i < _pendingTombstones.Count;)
        {
            var t = _pendingTombstones[i];
            if (nextUserKey is not null && _cmp.CompareUser(t.Begin, nextUserKey) >= 0)
            {
                i++;
                continue;
            }
            if (nextUserKey is not null && _cmp.CompareUser(t.End, nextUserKey) > 0)
            {
                builder.AddRangeTombstone(t with { End = nextUserKey });
                _pendingTombstones[i] = t with { Begin = nextUserKey };
                i++;
            }
            else
            {
                builder.AddRangeTombstone(t);
                _pendingTombstones.RemoveAt(i);
            }
        }
        var props = builder.Finish();
        _stats.BytesWritten += props.FileSize;
        _stats.ZstdBlocks += builder.ZstdBlocks;
        Outputs.Add(new FileMetaData
        {
            Number = _builderNumber,
            FileSize = props.FileSize,
            Smallest = builder.Smallest!,
            Largest = builder.Largest!,
            SmallestSequence = props.SmallestSequence,
            LargestSequence = props.LargestSequence,
            NumEntries = props.NumEntries,
            NumDeletions = props.NumDeletions,
            NumRangeDeletions = props.NumRangeDeletions,
            RawKeySize = props.RawKeySize,
            RawValueSize = props.RawValueSize,
            KeyId = builder.KeyId,
            Checksum = builder.Checksum,
            CompressedTierBytes = props.DataSize > 0 ? (long)(props.FileSize * Math.Min(1.0, builder.CompressedDataBytes / (double)props.DataSize)) : props.FileSize,
            BlobFileNumbers = [.. _tableBlobFiles.Order()],
        });
        _tableBlobFiles.Clear();
        builder.Dispose();
        _builder = null;
    }

    /// <summary>Finishes the last file (creating one for leftover tombstones if needed).</summary>
    public void Finish()
    {
        if (_builder is null && _pendingTombstones.Count > 0) StartFile();
        if (_builder is not null) FinishFile(null);
        // Blob files are made durable before any table referring to them can be named in the MANIFEST.
        if (_blobWriter is not null) FinishBlobFile();
    }

    /// <summary>Abandons the work: deletes every file written or begun.</summary>
    public void Abandon()
    {
        if (_builder is not null)
        {
            _builder.Dispose();
            _builder = null;
            TryDelete(FileNames.Table(_db, _builderNumber));
        }
        foreach (var f in Outputs) TryDelete(FileNames.Table(_db, f.Number));
        Outputs.Clear();
        if (_blobWriter is not null)
        {
            _blobWriter.Dispose();
            TryDelete(FileNames.Blob(_db, _blobWriter.Number));
            _blobWriter = null;
        }
        foreach (var b in _stats.BlobFiles) TryDelete(FileNames.Blob(_db, b.Number));
        _stats.BlobFiles.Clear();
    }

    private void TryDelete(string path)
    {
        try { _fs.DeleteFile(path); } catch (LatticeIOException) { }
    }

    public void Dispose()
    {
        _builder?.Dispose();
        _blobWriter?.Dispose();
    }
}
