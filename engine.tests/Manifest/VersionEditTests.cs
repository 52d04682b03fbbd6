using LatticeKV.Blob;
using LatticeKV.Coding;
using LatticeKV.Manifest;

namespace LatticeKV.Tests.Manifest;

/// <summary>The MANIFEST records of blob files (FORMAT.md §21.4): tag 13 and, for a sealed file, tag 15 naming its key.</summary>
public sealed class VersionEditTests
{
    private static BlobFileMetaData Blob(long number, uint keyId) => new()
    {
        Number = number, FileSize = 4096, TotalCount = 3, TotalBytes = 4000, Checksum = 0x0123456789abcdefUL, KeyId = keyId,
    };

    private static byte[] Encode(VersionEdit edit)
    {
        var w = new ByteWriter();
        edit.EncodeTo(w);
        return w.ToArray();
    }

    [Fact]
    public void EncodeDecode_SealedAndPlainBlobFiles_KeepTheirKeys()
    {
        var edit = new VersionEdit { ColumnFamilyId = 2 };
        edit.NewBlobFiles.Add(Blob(7, 0x1234));
        edit.NewBlobFiles.Add(Blob(8, 0));
        edit.NewBlobFiles.Add(Blob(9, 77));
        var decoded = VersionEdit.Decode(Encode(edit), 7);
        Assert.Equal(edit.NewBlobFiles, decoded.NewBlobFiles);
    }

    [Fact]
    public void Decode_KeyTagNotFollowingItsFile_ThrowsCorruption()
    {
        var edit = new VersionEdit();
        edit.NewBlobFiles.Add(Blob(7, 5));
        var bytes = Encode(edit);
        // Tag 15 on its own, and tag 15 naming another file than the one just added.
        Assert.Throws<CorruptionException>(() => VersionEdit.Decode([15, 7, 5], 7));
        var other = bytes.ToArray();
        other[^2] = 8; // the number of tag 15 (varint, one byte), then the key id
        Assert.Throws<CorruptionException>(() => VersionEdit.Decode(other, 7));
        var zeroKey = bytes.ToArray();
        zeroKey[^1] = 0;
        Assert.Throws<CorruptionException>(() => VersionEdit.Decode(zeroKey, 7));
        Assert.Equal(5u, VersionEdit.Decode(bytes, 7).NewBlobFiles[0].KeyId);
    }
}
