using System.Buffers.Binary;
using System.Security.Cryptography;

namespace LatticeKV.Crypto;

/// <summary>
/// HKDF-SHA256 (RFC 5869) derivations of the keys that seal bytes on disk (FORMAT.md,
/// "Key derivation"): one key per file and purpose, so a nonce is only ever unique within one
/// file and a sealed byte string cannot be moved between files.
/// </summary>
internal static class KeyDerivation
{
    public const int KeySize = 32;
    public const int DatabaseIdSize = 16;

    private static ReadOnlySpan<byte> Label => "LatticeKV/1"u8;

    /// <summary>The info string: "LatticeKV/1" ‖ kind u8 ‖ db_id[16] ‖ cf u32 ‖ number u64 ‖ key_id u32 ‖ generation u32.</summary>
    public const int InfoSize = 11 + 1 + DatabaseIdSize + 4 + 8 + 4 + 4;

    public static void WriteInfo(Span<byte> info, FileKeyKind kind, ReadOnlySpan<byte> databaseId, uint columnFamily, long number, uint keyId, uint generation)
    {
        Label.CopyTo(info);
        info[11] = (byte)kind;
        databaseId[..DatabaseIdSize].CopyTo(info[12..]);
        BinaryPrimitives.WriteUInt32LittleEndian(info[28..], columnFamily);
        BinaryPrimitives.WriteUInt64LittleEndian(info[32..], (ulong)number);
        BinaryPrimitives.WriteUInt32LittleEndian(info[40..], keyId);
        BinaryPrimitives.WriteUInt32LittleEndian(info[44..], generation);
    }

    /// <summary>HKDF-SHA256(ikm = <paramref name="secret"/>, salt, info(...)) into <paramref name="output"/> (32 bytes).</summary>
    public static void Derive(ReadOnlySpan<byte> secret, ReadOnlySpan<byte> salt, FileKeyKind kind, ReadOnlySpan<byte> databaseId,
        uint columnFamily, long number, uint keyId, uint generation, Span<byte> output)
    {
        Span<byte> info = stackalloc byte[InfoSize];
        WriteInfo(info, kind, databaseId, columnFamily, number, keyId, generation);
        HKDF.DeriveKey(HashAlgorithmName.SHA256, secret, output[..KeySize], salt, info);
    }

    /// <summary>Same as the span overload, into a new array (to build an <see cref="AesGcm"/> from).</summary>
    public static byte[] Derive(ReadOnlySpan<byte> secret, ReadOnlySpan<byte> salt, FileKeyKind kind, ReadOnlySpan<byte> databaseId,
        uint columnFamily, long number, uint keyId, uint generation)
    {
        var key = new byte[KeySize];
        Derive(secret, salt, kind, databaseId, columnFamily, number, keyId, generation, key);
        return key;
    }
}
