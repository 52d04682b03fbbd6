using System.Globalization;
using System.Text;

namespace LatticeKV.Tool.Crash.States;

/// <summary>
/// The workload's history: its batches in the order they were issued (one writer, so that is
/// the log's order), and when each column family's creation returned. Keys, values and column
/// family names are a pure function of their numbers, so any value read back names the batch
/// that wrote it, and a value no batch wrote is recognised.
/// </summary>
internal sealed class WorkloadHistory
{
    public const int ColumnFamilies = 3;
    public const int KeysPerColumnFamily = 48;

    public List<WorkloadBatch> Batches { get; } = [];

    /// <summary>The master keys of an encrypted workload, in the order it used them (empty: plaintext). Every state must open with exactly one.</summary>
    public List<byte[]> EncryptionKeys { get; } = [];

    /// <summary>Per column family (index 1 and up): the trace position of the marker after its creation returned.</summary>
    public Dictionary<int, int> ColumnFamilyCreated { get; } = [];

    public static string ColumnFamilyName(int index) => index == 0 ? "default" : "cf" + index.ToString(CultureInfo.InvariantCulture);

    public static byte[] Key(int key) => Encoding.ASCII.GetBytes("k" + key.ToString("D3", CultureInfo.InvariantCulture));

    /// <summary>The value batch <paramref name="batch"/> puts at a key: its id, where it is, and padding of varying length.</summary>
    public static byte[] Value(int batch, int columnFamily, int key)
    {
        int pad = (batch * 37 + key * 11 + columnFamily * 5) % 320;
        return Encoding.ASCII.GetBytes($"{batch:D8}|{columnFamily}|{key:D3}|" + new string((char)('a' + key % 26), pad));
    }

    /// <summary>The batch whose value <paramref name="value"/> is at this key, or null when no batch could have written it.</summary>
    public static int? BatchOf(ReadOnlySpan<byte> value, int columnFamily, int key)
    {
        if (value.Length < 8 || !int.TryParse(Encoding.ASCII.GetString(value[..8]), NumberStyles.None, CultureInfo.InvariantCulture, out int batch)) return null;
        return value.SequenceEqual(Value(batch, columnFamily, key)) ? batch : null;
    }

    /// <summary>Parses a key of the workload; -1 for any other key.</summary>
    public static int KeyIndex(ReadOnlySpan<byte> key)
        => key.Length == 4 && key[0] == (byte)'k' && int.TryParse(Encoding.ASCII.GetString(key[1..]), NumberStyles.None, CultureInfo.InvariantCulture, out int k) && k < KeysPerColumnFamily ? k : -1;

    /// <summary>Applies batch <paramref name="b"/> to a model state (key → id of the batch whose value it holds).</summary>
    public static void Apply(WorkloadBatch b, Dictionary<(int Cf, int Key), int> state)
    {
        foreach (var op in b.Ops)
        {
            switch (op.Kind)
            {
                case BatchOpKind.Put:
                    state[(op.ColumnFamily, op.Key)] = b.Id;
                    break;
                case BatchOpKind.Delete:
                    state.Remove((op.ColumnFamily, op.Key));
                    break;
                case BatchOpKind.DeleteRange:
                    for (int k = op.Key; k < op.KeyEnd; k++) state.Remove((op.ColumnFamily, k));
                    break;
            }
        }
    }
}
