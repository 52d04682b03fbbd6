using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using LatticeKV.Coding;
using LatticeKV.Io;

namespace LatticeKV.Crypto;

/// <summary>
/// The key registry (FORMAT.md, "Key registry"): <c>KEYREGISTRY-NNNNNN</c> in the log framing,
/// record 0 a plain header (database id, how the master key is derived, a verifier of the
/// master key), every later record sealed under a key derived from the master key, with the
/// record's ordinal as nonce and the database id, registry number and ordinal as associated
/// data, so a record removed, reordered or replayed does not open. It holds the random data keys
/// of encrypted families (by generation), the metadata keys of logs and MANIFESTs, scope keys,
/// their states, and shredded families.
/// <para>
/// A registry is only ever written whole under a temporary name and renamed into place, then
/// appended to; the highest-numbered one is authoritative and older ones are deleted. Each
/// append is fsynced before the key it records is used. Destroying keys rewrites the registry,
/// so no copy of their bytes stays in a live file.
/// </para>
/// Thread-safe.
/// </summary>
internal sealed class KeyRegistry : IDisposable
{
    public const string FilePrefix = "KEYREGISTRY-";
    public const uint FormatVersion = 1;
    private static ReadOnlySpan<byte> Magic => "LKVKEYS1"u8;
    private const int SaltSize = 16;

    private readonly IFileSystem _fs;
    private readonly IRecordFiles _files;
    private readonly string _db;
    private readonly object _lock = new();
    private readonly Dictionary<uint, KeyEntry> _keys = [];
    private readonly Dictionary<uint, ulong> _shredded = [];
    private readonly Dictionary<string, KeyEntry> _scopeKeys = new(StringComparer.Ordinal); // active scope keys by family and scope
    private readonly byte[] _databaseId;
    private readonly byte[] _master = new byte[KeyDerivation.KeySize];
    private MasterKeyKind _kind;
    private byte[] _parameters;
    private long _number;
    private byte[] _salt = new byte[SaltSize];
    private AeadPool? _recordKey;
    private IRecordFileWriter? _writer;
    private ulong _ordinal;
    private long _sealedFrom;
    private bool _disposed;

    private KeyRegistry(IRecordFiles files, string db, byte[] databaseId, MasterKeyKind kind, byte[] parameters)
    {
        _files = files;
        _fs = files.FileSystem;
        _db = db;
        _databaseId = databaseId;
        _kind = kind;
        _parameters = parameters;
    }

    public ReadOnlySpan<byte> DatabaseId => _databaseId;

    /// <summary>Logs and MANIFESTs numbered from here on are sealed; older ones (written before encryption was turned on) are plain.</summary>
    public long SealedFrom => _sealedFrom;

    public MasterKeyKind MasterKind => _kind;

    public string CurrentPath => PathOf(_db, _number);

    public static string PathOf(string db, long number) => Path.Combine(db, FilePrefix + number.ToString("D6", CultureInfo.InvariantCulture));

    /// <summary>Numbers of the registry files in <paramref name="db"/>, ascending.</summary>
    public static List<long> Find(IFileSystem fs, string db)
    {
        var numbers = new List<long>();
        foreach (var name in fs.ListFiles(db))
            if (TryParseName(name, out long n)) numbers.Add(n);
        numbers.Sort();
        return numbers;
    }

    public static bool TryParseName(string name, out long number)
    {
        number = 0;
        if (!name.StartsWith(FilePrefix, StringComparison.Ordinal) || name.Length > FilePrefix.Length + 19) return false;
        var digits = name.AsSpan(FilePrefix.Length);
        foreach (char c in digits)
            if (c is < '0' or > '9') return false;
        return digits.Length > 0 && long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out number);
    }

    /// <summary>
    /// Creates the first registry of a database: a new database id, one metadata key, and
    /// <paramref name="sealedFrom"/> (the first file number whose logs and MANIFESTs are sealed).
    /// Written whole and fsynced before it returns.
    /// </summary>
    public static KeyRegistry Create(IRecordFiles files, string db, MasterKeySource source, long sealedFrom, long nowMs)
    {
        var fs = files.FileSystem;
        var id = new byte[KeyDerivation.DatabaseIdSize];
        RandomNumberGenerator.Fill(id);
        var registry = new KeyRegistry(files, db, id, source.Kind, source.CreateParameters());
        registry._sealedFrom = sealedFrom;
        source.DeriveMasterKey(source.Kind, registry._parameters, id, registry._master);
        registry.AddKey(KeyPurpose.Metadata, 0, [], nowMs);
        long existing = Find(fs, db) is { Count: > 0 } found ? found[^1] : 0;
        registry.Rewrite(existing + 1);
        return registry;
    }

    /// <summary>
    /// Opens the newest registry of <paramref name="db"/>, or returns null when there is none.
    /// A master key that fails the verifier throws <see cref="EncryptionKeyException"/>; damage
    /// throws <see cref="CorruptionException"/> naming the file and offset. Nothing is written:
    /// the first change rewrites the registry under a new number.
    /// </summary>
    public static KeyRegistry? Open(IRecordFiles files, string db, MasterKeySource source)
    {
        var numbers = Find(files.FileSystem, db);
        if (numbers.Count == 0) return null;
        long number = numbers[^1];
        string path = PathOf(db, number);
        var contents = files.Read(path);
        if (contents.Records.Count == 0 || contents.Records[0].Offset != 0)
            throw new CorruptionException("key registry header is missing or damaged", path, 0);
        var header = contents.Records[0].Record;
        var registry = ParseHeader(files, db, header, number, path, out var verifier, out int verifiedLength);
        try
        {
            try { source.DeriveMasterKey(registry._kind, registry._parameters, registry._databaseId, registry._master); }
            catch (EncryptionKeyException ex) { throw new EncryptionKeyException($"cannot open '{path}': {ex.Message}", ex); }
            registry.DeriveRecordKey(number);
            if (!CryptographicOperations.FixedTimeEquals(registry.ComputeVerifier(header.AsSpan(0, verifiedLength)), verifier))
                throw new EncryptionKeyException($"the passphrase or key does not open the key registry '{path}'");
            registry.ReadRecords(contents, path);
            return registry;
        }
        catch
        {
            registry.Dispose();
            throw;
        }
    }

    /// <summary>Reads only the header of the newest registry (no key needed): for tools that describe a database.</summary>
    public static (MasterKeyKind Kind, long Number, byte[] DatabaseId)? Describe(IRecordFiles files, string db)
    {
        var numbers = Find(files.FileSystem, db);
        if (numbers.Count == 0) return null;
        string path = PathOf(db, numbers[^1]);
        var contents = files.Read(path);
        if (contents.Records.Count == 0 || contents.Records[0].Offset != 0) throw new CorruptionException("key registry header is missing or damaged", path, 0);
        using var r = ParseHeader(files, db, contents.Records[0].Record, numbers[^1], path, out _, out _);
        return (r._kind, numbers[^1], r._databaseId.ToArray());
    }

    private static KeyRegistry ParseHeader(IRecordFiles files, string db, ReadOnlySpan<byte> header, long number, string path, out byte[] verifier, out int verifiedLength)
    {
        var r = new SpanReader(header);
        try
        {
            if (!r.Take(8).SequenceEqual(Magic)) throw new CorruptionException("not a LatticeKV key registry (bad magic)", path, 0);
            uint format = r.ReadUInt32();
            if (format != FormatVersion) throw new CorruptionException($"key registry format {format} is not supported by this reader (max {FormatVersion})", path, 0);
            var id = r.Take(KeyDerivation.DatabaseIdSize).ToArray();
            ulong stored = r.ReadUInt64();
            if (stored != (ulong)number) throw new CorruptionException($"key registry says it is number {stored}, but its name says {number}", path, 0);
            var kind = (MasterKeyKind)r.ReadByte();
            if (!Enum.IsDefined(kind)) throw new CorruptionException($"unknown master key kind {(byte)kind}", path, 0);
            int paramLength = r.ReadVarintInt(4096);
            var parameters = r.Take(paramLength).ToArray();
            var registry = new KeyRegistry(files, db, id, kind, parameters) { _number = number };
            r.Take(SaltSize).CopyTo(registry._salt);
            verifiedLength = r.Position;
            verifier = r.Take(AeadPool.TagSize).ToArray();
            if (!r.IsEmpty) throw new CorruptionException("trailing bytes after the key registry header", path, 0);
            return registry;
        }
        catch (CorruptionException ex) when (ex.FilePath is null)
        {
            throw ex.At(path, 0);
        }
    }

    private void ReadRecords(RecordFileContents contents, string path)
    {
        bool snapshotEnded = false;
        ulong ordinal = 0;
        var plain = new byte[256];
        Span<byte> nonce = stackalloc byte[AeadPool.NonceSize];
        Span<byte> ad = stackalloc byte[4 + KeyDerivation.DatabaseIdSize + 16];
        foreach (var (record, offset) in contents.Records.Skip(1))
        {
            ordinal++;
            if (record.Length < AeadPool.TagSize) throw new CorruptionException("key registry record too short", path, offset);
            if (plain.Length < record.Length) plain = new byte[record.Length];
            int length = record.Length - AeadPool.TagSize;
            BuildRecordNonceAndAd(ordinal, nonce, ad);
            if (!_recordKey!.TryOpen(nonce, record.AsSpan(0, length), record.AsSpan(length), plain.AsSpan(0, length), ad))
                throw new CorruptionException("key registry record does not authenticate (damaged, removed, reordered or replayed)", path, offset);
            try { Apply(plain.AsSpan(0, length), ordinal, ref snapshotEnded); }
            catch (CorruptionException ex) { throw ex.At(path, offset); }
            finally { CryptographicOperations.ZeroMemory(plain); }
        }
        // A torn tail is an append that never returned: its key was never used.
        if (contents.Damage is not null && !contents.TornTailOnly)
            throw new CorruptionException($"key registry damaged: {contents.Damage}", path, contents.DamageOffset);
        if (!snapshotEnded) throw new CorruptionException("key registry ends before its snapshot is complete", path, contents.End);
        _ordinal = ordinal;
    }

    private void Apply(ReadOnlySpan<byte> record, ulong ordinal, ref bool snapshotEnded)
    {
        var r = new SpanReader(record);
        var type = (RegistryRecordType)r.ReadByte();
        switch (type)
        {
            case RegistryRecordType.Key:
            {
                uint id = r.ReadUInt32();
                var purpose = (KeyPurpose)r.ReadByte();
                uint cf = r.ReadUInt32();
                uint generation = r.ReadUInt32();
                long created = (long)r.ReadUInt64();
                var state = (KeyState)r.ReadByte();
                var scope = r.ReadLengthPrefixed().ToArray();
                var material = r.Take(KeyDerivation.KeySize).ToArray();
                if (!Enum.IsDefined(purpose) || !Enum.IsDefined(state)) throw new CorruptionException($"key {id} has an unknown purpose or state");
                if (id == 0 || !_keys.TryAdd(id, new KeyEntry { Id = id, Purpose = purpose, ColumnFamilyId = cf, Generation = generation, CreatedMs = created, Scope = scope, Material = material, State = state }))
                    throw new CorruptionException($"key id {id} recorded twice");
                IndexScope(_keys[id]);
                break;
            }
            case RegistryRecordType.State:
            {
                uint id = r.ReadUInt32();
                var state = (KeyState)r.ReadByte();
                if (!_keys.TryGetValue(id, out var key) || !Enum.IsDefined(state)) throw new CorruptionException($"state change for unknown key {id}");
                if (key.State == KeyState.Destroyed && state != KeyState.Destroyed) throw new CorruptionException($"destroyed key {id} cannot come back");
                key.State = state;
                if (state == KeyState.Destroyed) CryptographicOperations.ZeroMemory(key.Material);
                IndexScope(key);
                break;
            }
            case RegistryRecordType.SnapshotEnd:
            {
                ulong count = r.ReadUInt64();
                if (count != ordinal - 1 || snapshotEnded) throw new CorruptionException("key registry snapshot end does not match its records");
                snapshotEnded = true;
                break;
            }
            case RegistryRecordType.FamilyShredded:
            {
                uint cf = r.ReadUInt32();
                _shredded[cf] = r.ReadUInt64();
                break;
            }
            case RegistryRecordType.SealedFrom:
                _sealedFrom = (long)r.ReadUInt64();
                break;
            case RegistryRecordType.Group:
            {
                int count = r.ReadVarintInt(1 << 20);
                for (int i = 0; i < count; i++)
                {
                    var inner = r.ReadLengthPrefixed();
                    if (!inner.IsEmpty && (RegistryRecordType)inner[0] is RegistryRecordType.Group or RegistryRecordType.SnapshotEnd)
                        throw new CorruptionException("a key registry group holds a group or a snapshot end");
                    Apply(inner, ordinal, ref snapshotEnded);
                }
                break;
            }
            default:
                throw new CorruptionException($"unknown key registry record type {(byte)type}");
        }
        if (!r.IsEmpty) throw new CorruptionException($"trailing bytes in key registry record of type {type}");
    }

    /// <summary>The key with <paramref name="id"/>, or null.</summary>
    public KeyEntry? Find(uint id)
    {
        lock (_lock) return _keys.GetValueOrDefault(id);
    }

    /// <summary>The key <paramref name="id"/> for reading: typed errors when it is unknown or destroyed.</summary>
    public KeyEntry Require(uint id, string path)
    {
        var key = Find(id) ?? throw new EncryptionKeyException($"'{path}' is sealed with key {id}, which the key registry does not hold");
        if (key.State == KeyState.Destroyed)
            throw new EncryptionKeyException($"'{path}' is sealed with key {id}, which was destroyed (shredded): its contents cannot be read");
        return key;
    }

    /// <summary>The newest active key for <paramref name="purpose"/> and family (and scope), or null.</summary>
    public KeyEntry? Active(KeyPurpose purpose, uint columnFamily, ReadOnlySpan<byte> scope = default)
    {
        lock (_lock)
        {
            KeyEntry? best = null;
            foreach (var k in _keys.Values)
                if (k.State == KeyState.Active && k.Purpose == purpose && k.ColumnFamilyId == columnFamily && k.Scope.AsSpan().SequenceEqual(scope)
                    && (best is null || k.Generation > best.Generation))
                    best = k;
            return best;
        }
    }

    /// <summary>The active key of <paramref name="scope"/> in a family, created (and made durable) on its first use.</summary>
    public KeyEntry ScopeKey(uint columnFamily, ReadOnlySpan<byte> scope, long nowMs)
    {
        string name = ScopeName(columnFamily, scope);
        lock (_lock)
        {
            if (_scopeKeys.TryGetValue(name, out var key)) return key;
            return CreateKey(KeyPurpose.Scope, columnFamily, scope, nowMs);
        }
    }

    /// <summary>Ids of every key (active or retired) of <paramref name="scope"/> in a family.</summary>
    public List<uint> ScopeKeyIds(uint columnFamily, ReadOnlySpan<byte> scope)
    {
        var wanted = scope.ToArray();
        lock (_lock)
            return [.. _keys.Values.Where(k => k.Purpose == KeyPurpose.Scope && k.ColumnFamilyId == columnFamily && k.State != KeyState.Destroyed && k.Scope.AsSpan().SequenceEqual(wanted)).Select(k => k.Id)];
    }

    private static string ScopeName(uint columnFamily, ReadOnlySpan<byte> scope) => columnFamily.ToString(CultureInfo.InvariantCulture) + "/" + Convert.ToHexString(scope);

    /// <summary>Every key (destroyed ones without material), for properties and tools.</summary>
    public List<KeyEntry> Keys()
    {
        lock (_lock) return [.. _keys.Values.OrderBy(k => k.Id)];
    }

    /// <summary>The sequence up to which a shredded family's logged writes are gone, or null.</summary>
    /// <summary>Every shredded family and the sequence it was shredded through.</summary>
    public Dictionary<uint, ulong> ShreddedFamilies()
    {
        lock (_lock) return new Dictionary<uint, ulong>(_shredded);
    }

    public ulong? ShreddedThrough(uint columnFamily)
    {
        lock (_lock) return _shredded.TryGetValue(columnFamily, out ulong s) ? s : null;
    }

    /// <summary>Adds a new random key, the next generation for its purpose, family and scope, and makes it durable before returning it.</summary>
    public KeyEntry CreateKey(KeyPurpose purpose, uint columnFamily, ReadOnlySpan<byte> scope, long nowMs)
    {
        lock (_lock)
        {
            var key = AddKey(purpose, columnFamily, scope.ToArray(), nowMs);
            try { AppendDurably([EncodeKey(key)]); }
            catch
            {
                _keys.Remove(key.Id);
                key.State = KeyState.Destroyed;
                IndexScope(key);
                throw;
            }
            return key;
        }
    }

    /// <summary>Marks keys retired (they still open, but seal nothing new); durable on return.</summary>
    public void Retire(IEnumerable<uint> ids)
    {
        lock (_lock)
        {
            var changed = ids.Select(id => _keys[id]).Where(k => k.State == KeyState.Active).ToList();
            if (changed.Count == 0) return;
            // State first: an append that must rewrite the whole registry writes it as it is meant to be.
            foreach (var k in changed) SetState(k, KeyState.Retired);
            try { AppendDurably([.. changed.Select(k => EncodeState(k.Id, KeyState.Retired))]); }
            catch
            {
                foreach (var k in changed) SetState(k, KeyState.Active);
                throw;
            }
        }
    }

    /// <summary>
    /// Destroys keys: recorded durably, zeroed in memory, then the registry is rewritten so their
    /// bytes are in no live file. What they sealed can never be opened again.
    /// </summary>
    public void Destroy(IEnumerable<uint> ids, (uint ColumnFamily, ulong Sequence)? shredded = null)
    {
        lock (_lock)
        {
            var doomed = ids.Select(id => _keys[id]).Where(k => k.State != KeyState.Destroyed).ToList();
            var records = doomed.Select(k => EncodeState(k.Id, KeyState.Destroyed)).ToList();
            if (shredded is { } s) records.Add(EncodeShredded(s.ColumnFamily, s.Sequence));
            if (records.Count == 0) return;
            var before = doomed.Select(k => k.State).ToList();
            ulong? shreddedBefore = shredded is { } p && _shredded.TryGetValue(p.ColumnFamily, out ulong old) ? old : null;
            // State first (a destroyed key is written without its bytes even by a whole rewrite);
            // the bytes are zeroed only once the destruction is durable.
            foreach (var k in doomed) SetState(k, KeyState.Destroyed);
            if (shredded is { } t) _shredded[t.ColumnFamily] = t.Sequence;
            try { AppendDurably(records); }
            catch
            {
                for (int i = 0; i < doomed.Count; i++) SetState(doomed[i], before[i]);
                if (shredded is { } u)
                {
                    if (shreddedBefore is { } o) _shredded[u.ColumnFamily] = o;
                    else _shredded.Remove(u.ColumnFamily);
                }
                throw;
            }
            Interlocked.MemoryBarrier(); // the state is seen before the zeroed bytes (KeyEntry.CopyLiveMaterial)
            foreach (var k in doomed) CryptographicOperations.ZeroMemory(k.Material);
            // Durable now. The rewrite only removes the old bytes from the live file: if it fails,
            // the next change writes the whole registry again.
            try { Rewrite(_number + 1); }
            catch (Exception ex) when (ex is LatticeIOException or IOException) { }
        }
    }

    /// <summary>Rewraps every key under a new master key: the registry is rewritten; no data file changes.</summary>
    public void ChangeMasterKey(MasterKeySource source)
    {
        lock (_lock)
        {
            var parameters = source.CreateParameters();
            Span<byte> master = stackalloc byte[KeyDerivation.KeySize];
            source.DeriveMasterKey(source.Kind, parameters, _databaseId, master);
            var oldMaster = _master.ToArray();
            var (oldKind, oldParameters) = (_kind, _parameters);
            master.CopyTo(_master);
            CryptographicOperations.ZeroMemory(master);
            _kind = source.Kind;
            _parameters = parameters;
            try { Rewrite(_number + 1); }
            catch
            {
                // Not written: the old master key still opens the database, and later changes must keep using it.
                oldMaster.CopyTo(_master);
                (_kind, _parameters) = (oldKind, oldParameters);
                _writer?.Dispose();
                _writer = null;
                throw;
            }
            finally { CryptographicOperations.ZeroMemory(oldMaster); }
        }
    }

    /// <summary>The bytes of key <paramref name="id"/> while it is not destroyed (a copy, taken under the lock), else null.</summary>
    public byte[]? CopyMaterialIfLive(uint id)
    {
        lock (_lock) return _keys.TryGetValue(id, out var k) && k.State != KeyState.Destroyed ? k.Material.ToArray() : null;
    }

    private void SetState(KeyEntry key, KeyState state)
    {
        key.State = state;
        IndexScope(key);
    }

    /// <summary>
    /// The registry file as it stands (every append is fsynced under the lock, so the bytes are a
    /// whole registry): what a backup or checkpoint copies, taken in memory because a rewrite
    /// replaces the file.
    /// </summary>
    public (string Name, byte[] Bytes) SnapshotFile()
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            string path = CurrentPath;
            return (Path.GetFileName(path), _fs.ReadAllBytes(path));
        }
    }

    /// <summary>Makes the registry writable (rewritten under the next number) if it was only opened. Called once an open succeeds.</summary>
    public void StartWriting()
    {
        lock (_lock)
            if (_writer is null) Rewrite(_number + 1);
    }

    private void IndexScope(KeyEntry key)
    {
        if (key.Purpose != KeyPurpose.Scope) return;
        string name = ScopeName(key.ColumnFamilyId, key.Scope);
        if (key.State == KeyState.Active) _scopeKeys[name] = key;
        else if (_scopeKeys.TryGetValue(name, out var indexed) && indexed.Id == key.Id) _scopeKeys.Remove(name);
    }

    private KeyEntry AddKey(KeyPurpose purpose, uint columnFamily, byte[] scope, long nowMs)
    {
        uint generation = 1;
        foreach (var k in _keys.Values)
            if (k.Purpose == purpose && k.ColumnFamilyId == columnFamily && k.Scope.AsSpan().SequenceEqual(scope) && k.Generation >= generation)
                generation = k.Generation + 1;
        var material = new byte[KeyDerivation.KeySize];
        RandomNumberGenerator.Fill(material);
        // Random ids, not a counter: a registry rolled back to an older copy never hands out again an
        // id that a file already names under another key (that file reads as sealed with an unknown key).
        uint id;
        do id = (uint)RandomNumberGenerator.GetInt32(1, int.MaxValue);
        while (_keys.ContainsKey(id));
        var key = new KeyEntry { Id = id, Purpose = purpose, ColumnFamilyId = columnFamily, Generation = generation, CreatedMs = nowMs, Scope = scope, Material = material, State = KeyState.Active };
        _keys.Add(key.Id, key);
        IndexScope(key);
        return key;
    }

    private void AppendDurably(List<byte[]> records)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_writer is null)
        {
            // First change after an open: the rewrite carries it.
            Rewrite(_number + 1);
            return;
        }
        try
        {
            // Several changes go as one record: a crash keeps all of them or none.
            AppendSealed(_writer, records.Count == 1 ? records[0] : EncodeGroup(records));
            _writer.Sync();
        }
        catch
        {
            // The file may hold part of what failed: the state in memory is written whole elsewhere next time.
            _writer.Dispose();
            _writer = null;
            throw;
        }
    }

    private void AppendSealed(IRecordFileWriter writer, byte[] record)
    {
        try
        {
            ulong ordinal = ++_ordinal;
            var sealedRecord = new byte[record.Length + AeadPool.TagSize];
            Span<byte> nonce = stackalloc byte[AeadPool.NonceSize];
            Span<byte> ad = stackalloc byte[4 + KeyDerivation.DatabaseIdSize + 16];
            BuildRecordNonceAndAd(ordinal, nonce, ad);
            _recordKey!.Seal(nonce, record, sealedRecord.AsSpan(0, record.Length), sealedRecord.AsSpan(record.Length), ad);
            writer.AddRecord(sealedRecord);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(record);
        }
    }

    /// <summary>
    /// Writes the whole registry as <paramref name="number"/>: header, every key (destroyed ones
    /// without material), the shredded families, the snapshot end. Under a temporary name,
    /// fsynced, renamed into place, directory fsynced; then older registries are deleted.
    /// </summary>
    private void Rewrite(long number)
    {
        string path = PathOf(_db, number);
        string temp = path + ".tmp";
        var writer = _files.Create(temp);
        bool done = false;
        try
        {
            var salt = new byte[SaltSize];
            RandomNumberGenerator.Fill(salt);
            _salt = salt;
            _number = number;
            DeriveRecordKey(number);
            _ordinal = 0;
            writer.AddRecord(EncodeHeader());
            var records = new List<byte[]>();
            foreach (var k in _keys.Values.OrderBy(k => k.Id)) records.Add(EncodeKey(k));
            foreach (var (cf, seq) in _shredded) records.Add(EncodeShredded(cf, seq));
            records.Add(EncodeSealedFrom(_sealedFrom));
            foreach (var r in records) AppendSealed(writer, r);
            AppendSealed(writer, EncodeSnapshotEnd(_ordinal));
            writer.Sync();
            _fs.RenameFile(temp, path);
            _fs.SyncDirectory(_db);
            _writer?.Dispose();
            _writer = writer;
            done = true;
        }
        finally
        {
            if (!done)
            {
                writer.Dispose();
                _writer?.Dispose();
                _writer = null; // the next change writes the whole registry again
                try { _fs.DeleteFile(temp); } catch (LatticeIOException) { } catch (IOException) { }
            }
        }
        foreach (long old in Find(_fs, _db))
            if (old < number) TryDelete(PathOf(_db, old));
        foreach (var name in _fs.ListFiles(_db))
            if (name.StartsWith(FilePrefix, StringComparison.Ordinal) && name.EndsWith(".tmp", StringComparison.Ordinal) && name != Path.GetFileName(temp))
                TryDelete(Path.Combine(_db, name));
    }

    private void TryDelete(string path)
    {
        try { _fs.DeleteFile(path); }
        catch (LatticeIOException) { } // deleted at the next rewrite or open
        catch (IOException) { }
    }

    private void DeriveRecordKey(long number)
    {
        Span<byte> key = stackalloc byte[KeyDerivation.KeySize];
        KeyDerivation.Derive(_master, _salt, FileKeyKind.Registry, _databaseId, 0, number, 0, 0, key);
        _recordKey?.Dispose();
        _recordKey = new AeadPool(key);
        CryptographicOperations.ZeroMemory(key);
    }

    private byte[] ComputeVerifier(ReadOnlySpan<byte> headerBeforeVerifier)
    {
        Span<byte> key = stackalloc byte[KeyDerivation.KeySize];
        KeyDerivation.Derive(_master, _salt, FileKeyKind.Verify, _databaseId, 0, _number, 0, 0, key);
        var tag = new byte[AeadPool.TagSize];
        using (var aead = new AesGcm(key, AeadPool.TagSize))
            aead.Encrypt(stackalloc byte[AeadPool.NonceSize], [], [], tag, headerBeforeVerifier);
        CryptographicOperations.ZeroMemory(key);
        return tag;
    }

    private byte[] EncodeHeader()
    {
        var w = new ByteWriter(128);
        w.Write(Magic);
        w.WriteUInt32(FormatVersion);
        w.Write(_databaseId);
        w.WriteUInt64((ulong)_number);
        w.WriteByte((byte)_kind);
        w.WriteLengthPrefixed(_parameters);
        w.Write(_salt);
        w.Write(ComputeVerifier(w.WrittenSpan));
        return w.ToArray();
    }

    private void BuildRecordNonceAndAd(ulong ordinal, Span<byte> nonce, Span<byte> ad)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(nonce, ordinal);
        BinaryPrimitives.WriteUInt32LittleEndian(nonce[8..], 0);
        "LKVR"u8.CopyTo(ad);
        _databaseId.CopyTo(ad[4..]);
        BinaryPrimitives.WriteUInt64LittleEndian(ad[20..], (ulong)_number);
        BinaryPrimitives.WriteUInt64LittleEndian(ad[28..], ordinal);
    }

    private static byte[] EncodeKey(KeyEntry k)
    {
        var w = new ByteWriter(96);
        w.WriteByte((byte)RegistryRecordType.Key);
        w.WriteUInt32(k.Id);
        w.WriteByte((byte)k.Purpose);
        w.WriteUInt32(k.ColumnFamilyId);
        w.WriteUInt32(k.Generation);
        w.WriteUInt64((ulong)k.CreatedMs);
        w.WriteByte((byte)k.State);
        w.WriteLengthPrefixed(k.Scope);
        if (k.State == KeyState.Destroyed) w.Write(stackalloc byte[KeyDerivation.KeySize]);
        else w.Write(k.Material);
        var bytes = w.ToArray();
        CryptographicOperations.ZeroMemory(w.WrittenSpanMutable);
        return bytes;
    }

    private static byte[] EncodeState(uint id, KeyState state)
    {
        var w = new ByteWriter(8);
        w.WriteByte((byte)RegistryRecordType.State);
        w.WriteUInt32(id);
        w.WriteByte((byte)state);
        return w.ToArray();
    }

    private static byte[] EncodeShredded(uint cf, ulong sequence)
    {
        var w = new ByteWriter(16);
        w.WriteByte((byte)RegistryRecordType.FamilyShredded);
        w.WriteUInt32(cf);
        w.WriteUInt64(sequence);
        return w.ToArray();
    }

    private static byte[] EncodeSealedFrom(long number)
    {
        var w = new ByteWriter(16);
        w.WriteByte((byte)RegistryRecordType.SealedFrom);
        w.WriteUInt64((ulong)number);
        return w.ToArray();
    }

    private static byte[] EncodeGroup(List<byte[]> records)
    {
        var w = new ByteWriter(64);
        w.WriteByte((byte)RegistryRecordType.Group);
        w.WriteVarint((uint)records.Count);
        foreach (var r in records)
        {
            w.WriteLengthPrefixed(r);
            CryptographicOperations.ZeroMemory(r);
        }
        var bytes = w.ToArray();
        CryptographicOperations.ZeroMemory(w.WrittenSpanMutable);
        return bytes;
    }

    private static byte[] EncodeSnapshotEnd(ulong count)
    {
        var w = new ByteWriter(16);
        w.WriteByte((byte)RegistryRecordType.SnapshotEnd);
        w.WriteUInt64(count);
        return w.ToArray();
    }

    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed) return;
            _disposed = true;
            _writer?.Dispose();
            _recordKey?.Dispose();
            CryptographicOperations.ZeroMemory(_master);
            foreach (var k in _keys.Values) CryptographicOperations.ZeroMemory(k.Material);
        }
    }
}
