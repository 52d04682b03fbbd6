using LatticeKV.Coding;

namespace LatticeKV.Tests.Coding;

public class SpanReaderTests
{
    [Fact]
    public void ReadLengthPrefixed_LengthBeyondData_ThrowsCorruption()
    {
        byte[] data = [5, 1, 2];
        Assert.Throws<CorruptionException>(() =>
        {
            var r = new SpanReader(data);
            r.ReadLengthPrefixed();
        });
    }
}
