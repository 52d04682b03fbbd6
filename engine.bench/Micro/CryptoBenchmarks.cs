using BenchmarkDotNet.Attributes;
using LatticeKV.Crypto;

namespace LatticeKV.Bench.Micro;

/// <summary>
/// The cost encryption adds per operation: sealing a small WAL record (one per write group),
/// sealing and opening a 4 KiB table block (flush, compaction, a block-cache miss), and deriving
/// a per-file key (each table opened).
/// </summary>
[MemoryDiagnoser]
public class CryptoBenchmarks
{
    private readonly byte[] _dbId = new byte[16];
    private readonly byte[] _record = new byte[64];
    private readonly byte[] _sealedRecord = new byte[64 + RecordCipher.Overhead];
    private readonly byte[] _record128 = new byte[128];
    private readonly byte[] _sealedRecord128 = new byte[128 + RecordCipher.Overhead];
    // A fillrandom write's log record: a 12-byte batch header and one entry of a 16-byte key and a 100-byte value.
    private readonly byte[] _record131 = new byte[131];
    private readonly byte[] _sealedRecord131 = new byte[131 + RecordCipher.Overhead];
    private readonly byte[] _block = new byte[4096];
    private readonly byte[] _sealedBlock = new byte[4096 + TableCipher.Overhead];
    private readonly byte[] _work = new byte[4096 + TableCipher.Overhead];
    private KeyEntry _key = null!;
    private RecordCipher _records = null!;
    private TableCipher _table = null!;
    private AeadPool _platform = null!;
    private IntrinsicAesGcm _intrinsic = null!;
    private readonly byte[] _intrinsicSealed = new byte[4096 + 16];
    private readonly byte[] _nonce = new byte[12];

    [GlobalSetup]
    public void Setup()
    {
        var material = new byte[32];
        new Random(5).NextBytes(material);
        new Random(6).NextBytes(_block);
        _key = new KeyEntry { Id = 7, Purpose = KeyPurpose.Data, ColumnFamilyId = 0, Generation = 1, CreatedMs = 0, Scope = [], Material = material, State = KeyState.Active };
        _records = new RecordCipher(_key, _dbId, FileKeyKind.Log, 12);
        _table = TableCipher.ForNewTable(_key, _dbId, 13);
        _table.Seal(_block, 4096, BlockKind.Data, 0, _sealedBlock);
        _platform = new AeadPool(material, platformOnly: true);
        _intrinsic = new IntrinsicAesGcm(material);
        _intrinsic.Encrypt(_nonce, _block, _intrinsicSealed.AsSpan(0, 4096), _intrinsicSealed.AsSpan(4096, 16), _dbId);
    }

    [Benchmark]
    public int SealWalRecord64() => _records.Seal(_record, _sealedRecord);

    [Benchmark]
    public int SealWalRecord128() => _records.Seal(_record128, _sealedRecord128);

    [Benchmark]
    public int SealWalRecord131() => _records.Seal(_record131, _sealedRecord131);

    [Benchmark]
    public void SealBlock4K() => _table.Seal(_block, 4096, BlockKind.Data, 0, _work);

    [Benchmark]
    public int OpenBlock4K()
    {
        _sealedBlock.CopyTo(_work, 0);
        return _table.Open(_work.AsSpan(0, _sealedBlock.Length), 4096, BlockKind.Data, 0, "bench");
    }

    [Benchmark]
    public void PlatformSealWalRecord64() => _platform.Seal(_nonce, _record, _sealedRecord.AsSpan(0, 64), _sealedRecord.AsSpan(64, 16), _dbId);

    [Benchmark]
    public void PlatformSealBlock4K() => _platform.Seal(_nonce, _block, _work.AsSpan(0, 4096), _work.AsSpan(4096, 16), _dbId);

    [Benchmark]
    public void IntrinsicSealBlock4K() => _intrinsic.Encrypt(_nonce, _block, _work.AsSpan(0, 4096), _work.AsSpan(4096, 16), _dbId);

    [Benchmark]
    public bool IntrinsicOpenBlock4K()
    {
        _intrinsicSealed.CopyTo(_work, 0);
        return _intrinsic.TryDecrypt(_nonce, _work.AsSpan(0, 4096), _intrinsicSealed.AsSpan(4096, 16), _work.AsSpan(0, 4096), _dbId);
    }

    [Benchmark]
    public byte[] DeriveFileKey() => KeyDerivation.Derive(_key.Material, _dbId, FileKeyKind.Table, _dbId, 0, 99, 7, 1);

    [GlobalCleanup]
    public void Cleanup()
    {
        _records.Dispose();
        _table.Dispose();
        _platform.Dispose();
    }
}
