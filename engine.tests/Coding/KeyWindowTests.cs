using System.Buffers.Binary;
using LatticeKV.Coding;

namespace LatticeKV.Tests.Coding;

public sealed class KeyWindowTests
{
    [Fact]
    public void Read_AnyLengthAndOffset_IsTheBigEndianZeroPaddedWindow()
    {
        var key = new byte[] { 0x81, 0x02, 0xF3, 0x04, 0x05, 0xA6, 0x07, 0x08, 0xB9, 0x0A };
        for (int length = 0; length <= key.Length; length++)
        {
            for (int offset = 0; offset <= length + 1; offset++)
            {
                var padded = new byte[8];
                if (offset < length) key.AsSpan(offset, Math.Min(8, length - offset)).CopyTo(padded);
                Assert.Equal(BinaryPrimitives.ReadUInt64BigEndian(padded), KeyWindow.Read(key.AsSpan(0, length), offset));
            }
        }
    }
}
