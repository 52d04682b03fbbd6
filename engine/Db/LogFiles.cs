using LatticeKV.Io;
using LatticeKV.Wal;

namespace LatticeKV.Db;

/// <summary>
/// The write-ahead logs of a database: the current one, which the write leader appends to; the
/// closed ones not yet fsynced (a roll costs no disk wait: a later synced write, the flush that
/// makes a log obsolete, or closing the database syncs or forgets them); and the sizes of every
/// log not yet deleted, which bound the total WAL size.
/// </summary>
internal sealed class LogFiles
{
    // Constant after construction.
    private readonly IFileSystem _fs;
    private readonly string _path;
    private readonly long _defaultCapacity;
    private readonly object _mutex;

    // Owned by the write leader (or by recovery and close, when no writer runs). _number is also
    // read by background work, through CurrentNumber.
    private LogWriter? _current;
    private long _number;
    private bool _needsRoll;
    private bool _directoryUnsynced;
    private Crypto.RecordCipher? _cipher; // seals the current log's records in an encrypted database
    private long _nextLogHeaderAt; // the current log's cipher header is written again once a record starts at or past here
    private byte[] _sealedScratch = []; // a record is assembled here (and sealed in place where the log exposes no memory); cleared when returned

    // Held across taking and fsyncing the closed logs, by the write leader and by a flush alike:
    // a synced write must not return while logs it depends on are still being fsynced by another
    // thread. Taken before _mutex, never while holding it.
    private readonly Lock _syncClosedLock = new();

    // Guarded by _syncClosedLock: the first failure to fsync closed logs. Those logs were taken
    // off the unsynced list; every later sync must fail too, or a synced write (or a flush) would
    // go on as though they were durable.
    private Exception? _syncClosedFailure;

    // Guarded by _mutex.
    private readonly SortedDictionary<long, long> _sizes = [];
    private readonly SortedDictionary<long, IWritableFile> _unsyncedClosed = [];

    public LogFiles(IFileSystem fs, string path, long writeBufferSize, object mutex)
    {
        _fs = fs;
        _path = path;
        _mutex = mutex;
        // About one memtable's worth (logs roll with memtables anyway); this is address space
        // only: blocks are reserved as the log grows.
        _defaultCapacity = Math.Clamp(writeBufferSize + (writeBufferSize >> 2), 1L << 20, 80L << 20);
    }

    /// <summary>
    /// The key registry of an encrypted database: logs rolled from then on have their records
    /// sealed under its active metadata key. Set before the first roll.
    /// </summary>
    public Crypto.KeyRegistry? Keys { get; set; }

    /// <summary>Key ids of the logs not yet deleted (metadata keys still needed). Caller holds the mutex.</summary>
    public IEnumerable<uint> KeyIdsInUse => _keyIds.Values;

    // Guarded by _mutex: which metadata key sealed each log not yet deleted.
    private readonly Dictionary<long, uint> _keyIds = [];

    /// <summary>The number of the log new writes go to; 0 before the first roll.</summary>
    public long CurrentNumber => Volatile.Read(ref _number);

    /// <summary>Bytes in the current log (leader-owned).</summary>
    public long CurrentLength => _current?.Length ?? 0;

    /// <summary>The current log has data.</summary>
    public bool CurrentHasData => _current is { Length: > 0 };

    /// <summary>Whether a record of <paramref name="needed"/> encoded bytes must go to a new log first.</summary>
    public bool MustRollFor(long needed) => _needsRoll || _current is null || _current.Length + needed + SealMargin > _current.File.Capacity;

    private int SealMargin => _cipher is null ? 0 : Crypto.RecordCipher.CompactOverhead + LogHeaderBytes + 2 * Wal.LogFormat.HeaderSize;

    /// <summary>What a cipher header record takes in the log, framed.</summary>
    private static int LogHeaderBytes => (int)LogWriter.MaxEncodedSize(Crypto.RecordCipher.LogHeaderSize);

    /// <summary>
    /// Starts a new log with room for at least <paramref name="minCapacity"/> bytes. Caller holds
    /// the mutex and write leadership (or is recovering). The old log is neither fsynced nor
    /// closed here.
    /// </summary>
    public long Roll(long number, long minCapacity = 0)
    {
        var keys = Keys;
        Crypto.RecordCipher? cipher = null;
        if (keys is not null && number >= keys.SealedFrom)
        {
            var key = keys.Active(Crypto.KeyPurpose.Metadata, 0) ?? throw new EncryptionKeyException("the key registry holds no active metadata key");
            cipher = new Crypto.RecordCipher(key, keys.DatabaseId, Crypto.FileKeyKind.Log, number);
        }
        var file = _fs.CreateLog(FileNames.Log(_path, number), Math.Max(minCapacity + (cipher is null ? 0 : 256), _defaultCapacity));
        _cipher?.Dispose();
        _cipher = cipher;
        if (cipher is not null) lock (_mutex) _keyIds[number] = cipher.KeyId;
        var old = _current;
        long oldNumber = _number;
        _current = new LogWriter(file);
        _nextLogHeaderAt = 0;
        Volatile.Write(ref _number, number);
        _needsRoll = false;
        _directoryUnsynced = true;
        if (old is not null)
        {
            _sizes[oldNumber] = old.Length;
            _unsyncedClosed[oldNumber] = old.File;
        }
        return number;
    }

    /// <summary>
    /// Appends one record to the current log and hands it to the operating system. Room for the
    /// whole record is made first, so on a failure there (a full disk) the log is unchanged and
    /// <see cref="PartialRecordLeft"/> is false: the next write may reuse the record's sequence
    /// numbers in this log. A failure after bytes were appended (an ordinary file's write) sets
    /// it: the next record goes to a new log, so a partial record can only ever be a file's tail.
    /// </summary>
    public void Append(ReadOnlySpan<byte> header, ReadOnlySpan<byte> body)
    {
        long before = _current!.Length;
        try
        {
            if (_cipher is not null)
            {
                // Room first: a record is sealed (and takes the next ordinal) only once it will be appended.
                int sealedLength = header.Length + body.Length + Crypto.RecordCipher.CompactOverhead;
                bool withHeader = NextRecordStart() >= _nextLogHeaderAt;
                _current.File.EnsureRoom(LogWriter.MaxEncodedSize(sealedLength) + (withHeader ? LogHeaderBytes : 0));
                if (withHeader) AppendLogHeader();
                // Sealed straight into the log where it is mapped (the usual case), saving a copy;
                // only a cipher that stores nothing but ciphertext in its output may write there,
                // since the log's memory is the page cache.
                var space = _cipher.OutputIsCiphertextOnly ? _current.RecordSpace(sealedLength) : default;
                if (space.IsEmpty) _current.AddRecord(Seal(header, body));
                else
                {
                    _cipher.SealCompact(Plaintext(header, body, sealedLength - Crypto.RecordCipher.CompactOverhead), space);
                    _current.CommitInPlace(space);
                }
            }
            else
            {
                _current.File.EnsureRoom(LogWriter.MaxEncodedSize(header.Length + body.Length));
                if (header.IsEmpty) _current.AddRecord(body);
                else _current.AddRecord(header, body);
            }
            _current.File.Flush();
        }
        catch (LatticeIOException)
        {
            if (_current.Length != before)
            {
                PartialRecordLeft = true;
                _needsRoll = true;
            }
            throw;
        }
    }

    /// <summary>The record header ‖ body sealed (FORMAT.md, "Sealed records", compact), in a scratch buffer the leader owns.</summary>
    private ReadOnlySpan<byte> Seal(ReadOnlySpan<byte> header, ReadOnlySpan<byte> body)
    {
        int length = header.Length + body.Length + Crypto.RecordCipher.CompactOverhead;
        var record = Scratch(length)[..length];
        header.CopyTo(record[Crypto.RecordCipher.CompactPlaintextOffset..]);
        body.CopyTo(record[(Crypto.RecordCipher.CompactPlaintextOffset + header.Length)..]);
        _cipher!.SealCompactInPlace(record);
        return record;
    }

    /// <summary>Where the current log's next record will start: a block tail too short for a record header is skipped (padded).</summary>
    private long NextRecordStart()
    {
        long length = _current!.Length;
        int left = LogFormat.BlockSize - (int)(length % LogFormat.BlockSize);
        return left < LogFormat.HeaderSize ? length + left : length;
    }

    /// <summary>
    /// Writes the current log's cipher header (key id and the nonces' random part, FORMAT.md §12)
    /// at its start and again once a record would start in a later 32 KiB block: a reader that
    /// salvages past damage finds one ahead of the records it can still open.
    /// </summary>
    private void AppendLogHeader()
    {
        Span<byte> logHeader = stackalloc byte[Crypto.RecordCipher.LogHeaderSize];
        _cipher!.WriteLogHeader(logHeader);
        _current!.AddRecord(logHeader);
        _nextLogHeaderAt = (_current.Length / LogFormat.BlockSize + 1) * LogFormat.BlockSize;
    }

    /// <summary>header ‖ body in the scratch buffer (the cipher takes one contiguous plaintext); the body alone needs no copy.</summary>
    private ReadOnlySpan<byte> Plaintext(ReadOnlySpan<byte> header, ReadOnlySpan<byte> body, int length)
    {
        if (header.IsEmpty) return body;
        var plaintext = Scratch(length)[..length];
        header.CopyTo(plaintext);
        body.CopyTo(plaintext[header.Length..]);
        return plaintext;
    }

    private Span<byte> Scratch(int length)
    {
        if (_sealedScratch.Length < length)
        {
            if (_sealedScratch.Length > 0) System.Buffers.ArrayPool<byte>.Shared.Return(_sealedScratch, clearArray: true);
            _sealedScratch = System.Buffers.ArrayPool<byte>.Shared.Rent(length);
        }
        return _sealedScratch;
    }

    /// <summary>The last <see cref="Append"/> failed after part of its record reached the log (cleared by <see cref="BeginGroup"/>).</summary>
    public bool PartialRecordLeft { get; private set; }

    /// <summary>Clears <see cref="PartialRecordLeft"/> before a group is logged (leader-owned).</summary>
    public void BeginGroup() => PartialRecordLeft = false;

    /// <summary>Marks the current log unusable: the next write rolls first (after a failed write or fsync).</summary>
    public void MarkNeedsRoll() => _needsRoll = true;

    /// <summary>
    /// Makes every write so far durable: closed logs not yet synced, the directory entry of the
    /// current log, then the current log. Runs as the write leader.
    /// </summary>
    public void SyncAll()
    {
        SyncClosed();
        if (_directoryUnsynced)
        {
            _fs.SyncDirectory(_path);
            _directoryUnsynced = false;
        }
        _current?.File.Sync();
    }

    /// <summary>The path of the current log, for error messages.</summary>
    public string CurrentPath => _current?.File.Path ?? _path;

    /// <summary>
    /// Fsyncs and closes every closed log not yet synced: as the write leader before a synced
    /// write, at close, and before a flush records a table whose batches also wrote to other
    /// column families. Callers that find another thread syncing wait for it to finish.
    /// </summary>
    public void SyncClosed()
    {
        lock (_syncClosedLock)
        {
            if (_syncClosedFailure is { } failed)
                throw new LatticeIOException("An earlier fsync of closed write-ahead logs failed: " + failed.Message, _path, failed);
            List<IWritableFile> logs;
            lock (_mutex)
            {
                if (_unsyncedClosed.Count == 0) return;
                logs = [.. _unsyncedClosed.Values];
                _unsyncedClosed.Clear();
            }
            try
            {
                foreach (var log in logs) log.Sync();
            }
            catch (Exception ex)
            {
                _syncClosedFailure = ex;
                throw;
            }
            finally
            {
                foreach (var log in logs) CloseQuietly(log);
            }
        }
    }

    /// <summary>A log was deleted (its data is in tables): forget its size and close it unsynced. Caller holds the mutex.</summary>
    public void Forget(long number)
    {
        _sizes.Remove(number);
        _keyIds.Remove(number);
        if (_unsyncedClosed.Remove(number, out var log)) CloseQuietly(log);
    }

    /// <summary>
    /// A retired log is about to be archived: closes its file now, unsynced, if it is still open
    /// (closing trims it to its records), so that the file holds exactly its records and nothing
    /// writes to it again. Waits for a <see cref="SyncClosed"/> in progress, which may be syncing
    /// (and zeroing ahead in) this very file. Caller holds neither lock.
    /// </summary>
    public void CloseRetired(long number)
    {
        IWritableFile? log;
        // Once off the list no one else can reach the file: it is closed outside the locks.
        lock (_syncClosedLock)
            lock (_mutex) _unsyncedClosed.Remove(number, out log);
        if (log is not null) CloseQuietly(log);
    }

    /// <summary>Forgets every log below <paramref name="number"/> (at open, after the replayed logs are retired). Caller holds the mutex.</summary>
    public void ForgetBelow(long number)
    {
        foreach (long n in _sizes.Keys.Where(n => n < number).ToList()) Forget(n);
        foreach (long n in _keyIds.Keys.Where(n => n < number).ToList()) _keyIds.Remove(n);
    }

    /// <summary>
    /// Number and length of every log numbered at or above <paramref name="minLog"/>: the closed
    /// ones and the current one. Caller holds write leadership (the current log's length is the
    /// leader's) and the mutex.
    /// </summary>
    public List<(long Number, long Length)> LiveLogs(long minLog)
    {
        var logs = new List<(long Number, long Length)>();
        foreach (var (number, size) in _sizes)
            if (number >= minLog) logs.Add((number, size));
        if (_current is not null && _number >= minLog) logs.Add((_number, _current.Length));
        return logs;
    }

    /// <summary>The length of a closed log not yet forgotten, or null. Caller holds the mutex.</summary>
    public long? LengthOf(long number) => _sizes.TryGetValue(number, out long size) ? size : null;

    /// <summary>Bytes in the closed logs not yet deleted. Caller holds the mutex.</summary>
    public long ClosedBytes
    {
        get
        {
            long total = 0;
            foreach (long size in _sizes.Values) total += size;
            return total;
        }
    }

    /// <summary>The oldest closed log not yet deleted, or -1. Caller holds the mutex.</summary>
    public long OldestClosed => _sizes.Count > 0 ? _sizes.Keys.First() : -1;

    /// <summary>
    /// Closing the database: fsyncs every log (unless <paramref name="sync"/> is false, after a
    /// failed open) and closes them. Returns the fsync's failure, if any; the files are closed regardless.
    /// </summary>
    public Exception? Close(bool sync)
    {
        Exception? error = null;
        try
        {
            if (sync)
            {
                SyncClosed();
                _current?.File.Sync();
            }
        }
        catch (Exception ex) when (ex is LatticeException or IOException or ObjectDisposedException)
        {
            error = ex;
        }
        finally
        {
            lock (_mutex)
            {
                foreach (var log in _unsyncedClosed.Values) CloseQuietly(log);
                _unsyncedClosed.Clear();
            }
            try { _current?.Dispose(); } catch (LatticeIOException) { }
            _current = null;
            _cipher?.Dispose();
            _cipher = null;
            if (_sealedScratch.Length > 0) System.Buffers.ArrayPool<byte>.Shared.Return(_sealedScratch, clearArray: true);
            _sealedScratch = [];
        }
        return error;
    }

    private static void CloseQuietly(IWritableFile file)
    {
        try { file.Dispose(); }
        catch (LatticeIOException) { }
    }
}
