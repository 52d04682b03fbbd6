using System.Buffers.Binary;
using LatticeKV.Ledger;
using LatticeKV.Ledger.Chain;

namespace LatticeKV.Tests.Ledger;

/// <summary>
/// A synthetic regtest chain for tests that need many blocks, forks or chosen transactions:
/// random well-formed transactions (some with witnesses), Merkle roots computed from their txids,
/// and headers mined at regtest difficulty (about two nonces each).
/// </summary>
internal sealed class RegtestChain
{
    public const string ChainId = "bitcoin-regtest";
    public const uint Bits = 0x207F_FFFF;

    private readonly Random _random;

    public RegtestChain(int seed) => _random = new Random(seed);

    public List<BlockHeader> Headers { get; } = [];

    public List<List<byte[]>> Transactions { get; } = [];

    /// <summary>Appends <paramref name="count"/> blocks of <paramref name="txPerBlock"/> transactions each, with witnesses or not (null: at random).</summary>
    public RegtestChain Grow(int count, int txPerBlock, bool? witness = null)
    {
        for (int i = 0; i < count; i++)
        {
            var txs = Enumerable.Range(1, txPerBlock - 1).Select(_ => RandomTransaction(_random, witness)).ToList();
            txs.Insert(0, Coinbase(_random, txs));
            var root = BitcoinMerkle.ComputeRoot([.. txs.Select(t => BitcoinTransaction.Parse(t).Txid)], out _);
            var previous = Headers.Count == 0 ? default : Headers[^1].Hash;
            Headers.Add(Mine(new BlockHeader(4, previous, root, 1_700_000_000u + (uint)Headers.Count * 600, Bits, 0)));
            Transactions.Add(txs);
        }
        return this;
    }

    public FixtureNetworkStateProvider Provider()
    {
        var provider = new FixtureNetworkStateProvider(ChainId, 0, Headers);
        for (int h = 0; h < Headers.Count; h++) provider.AddBlock(h, Transactions[h]);
        return provider;
    }

    /// <summary>
    /// A coinbase for <paramref name="others"/>: a null prevout, and when any of them has
    /// witnesses, BIP 141's commitment output and a witness reserved value of zeros.
    /// </summary>
    private static byte[] Coinbase(Random random, List<byte[]> others)
    {
        var parsed = others.Select(t => BitcoinTransaction.Parse(t)).ToList();
        bool segwit = parsed.Any(t => t.HasWitness);
        var tx = new List<byte>(Int(2));
        if (segwit) tx.AddRange([0x00, 0x01]);
        tx.Add(1);
        tx.AddRange(new byte[32]);
        tx.AddRange(Int(0xFFFF_FFFF));
        tx.Add(4);
        tx.AddRange(Bytes(random, 4));
        tx.AddRange(Int(0xFFFF_FFFF));
        tx.Add(segwit ? (byte)2 : (byte)1);
        tx.AddRange(BitConverter.GetBytes(5_000_000_000UL));
        tx.Add(22);
        tx.AddRange(Bytes(random, 22));
        if (segwit)
        {
            var root = BitcoinMerkle.ComputeRoot([default, .. parsed.Select(t => t.Wtxid)], out _);
            var commitment = ChainHash.DoubleSha256([.. root.Bytes, .. new byte[32]]);
            tx.AddRange(new byte[8]);
            tx.Add(38);
            tx.AddRange([0x6a, 0x24, 0xaa, 0x21, 0xa9, 0xed, .. commitment.Bytes]);
            tx.Add(1);
            tx.Add(32);
            tx.AddRange(new byte[32]);
        }
        tx.AddRange(Int(0));
        return [.. tx];
    }

    public ChainTransactionClaim Claim(int height, int position)
    {
        var raw = Transactions[height][position];
        return new ChainTransactionClaim(ChainId, BitcoinTransaction.Parse(raw).Txid, height, Headers[height].Hash, position, raw);
    }

    /// <summary>The lowest nonce that meets the header's target.</summary>
    public static BlockHeader Mine(BlockHeader header)
    {
        var target = CompactTarget.Decode(header.Bits)!.Value;
        for (uint nonce = 0; ; nonce++)
        {
            var candidate = header with { Nonce = nonce };
            if (CompactTarget.HashValue(candidate.Hash) <= target) return candidate;
        }
    }

    /// <summary>A well-formed transaction: one or two inputs, one to three outputs, a witness stack per input when <paramref name="witness"/>.</summary>
    public static byte[] RandomTransaction(Random random, bool? witness = null)
    {
        bool segwit = witness ?? random.Next(2) == 0;
        var tx = new List<byte>();
        tx.AddRange(Int(2));
        if (segwit) tx.AddRange([0x00, 0x01]);
        int inputs = random.Next(1, 3);
        tx.Add((byte)inputs);
        for (int i = 0; i < inputs; i++)
        {
            tx.AddRange(Bytes(random, 32));
            tx.AddRange(Int((uint)random.Next(4)));
            var script = Bytes(random, segwit ? 0 : random.Next(1, 40));
            tx.Add((byte)script.Length);
            tx.AddRange(script);
            tx.AddRange(Int(0xFFFF_FFFE));
        }
        int outputs = random.Next(1, 4);
        tx.Add((byte)outputs);
        for (int i = 0; i < outputs; i++)
        {
            tx.AddRange(BitConverter.GetBytes((ulong)random.Next(1, 1_000_000)));
            tx.Add(22);
            tx.AddRange(Bytes(random, 22));
        }
        if (segwit)
        {
            for (int i = 0; i < inputs; i++)
            {
                tx.Add(2);
                tx.Add(71);
                tx.AddRange(Bytes(random, 71));
                tx.Add(33);
                tx.AddRange(Bytes(random, 33));
            }
        }
        tx.AddRange(Int(0));
        return [.. tx];
    }

    private static byte[] Int(uint value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, value);
        return bytes;
    }

    private static byte[] Bytes(Random random, int count)
    {
        var bytes = new byte[count];
        random.NextBytes(bytes);
        return bytes;
    }
}
