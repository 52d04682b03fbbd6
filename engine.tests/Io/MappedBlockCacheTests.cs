using LatticeKV.Io;

namespace LatticeKV.Tests.Io;

/// <summary>
/// The cache of freed mappings bounds what it keeps resident, hands a block back only for its
/// own size class, and prefers keeping large blocks (the dearest to fault in again). Blocks are
/// stand-in addresses here: the cache never touches their memory.
/// </summary>
public class MappedBlockCacheTests
{
    private const nuint MiB = 1 << 20;

    [Fact]
    public void TryTake_AfterAdd_ReturnsTheBlockOnlyForItsSize()
    {
        var cache = new MappedBlockCache(32 << 20);
        Assert.Empty(cache.Add(0x1000, 8 * MiB));

        Assert.True(cache.TryTake(16 * MiB) == 0);
        Assert.True(cache.TryTake(8 * MiB) == 0x1000);
        Assert.True(cache.TryTake(8 * MiB) == 0);
        Assert.Equal(0, cache.Bytes);
    }

    [Fact]
    public void Add_BeyondCapacity_HandsBackWhatItCannotKeep()
    {
        var cache = new MappedBlockCache(32 << 20);
        Assert.Empty(cache.Add(0x1000, 16 * MiB));
        Assert.Empty(cache.Add(0x2000, 16 * MiB));

        var unmap = cache.Add(0x3000, 16 * MiB);

        Assert.Equal([(0x3000, 16 * MiB)], unmap);
        Assert.Equal(32 << 20, cache.Bytes);
    }

    [Fact]
    public void Add_LargerBlockWhenFull_DisplacesSmallerOnes()
    {
        var cache = new MappedBlockCache(32 << 20);
        Assert.Empty(cache.Add(0x1000, 8 * MiB));
        Assert.Empty(cache.Add(0x2000, 8 * MiB));
        Assert.Empty(cache.Add(0x3000, 8 * MiB));

        var unmap = cache.Add(0x4000, 16 * MiB);

        var displaced = Assert.Single(unmap); // 24 + 16 MiB: one 8 MiB block makes room
        Assert.Equal(8 * MiB, displaced.Size);
        Assert.Equal(32 << 20, cache.Bytes);
        Assert.True(cache.TryTake(16 * MiB) == 0x4000);
    }

    [Fact]
    public void Add_BlockLargerThanCapacity_IsNotKept()
    {
        var cache = new MappedBlockCache(4 << 20);
        Assert.Empty(cache.Add(0x1000, 1 * MiB));

        var unmap = cache.Add(0x2000, 8 * MiB);

        Assert.Equal([(0x2000, 8 * MiB)], unmap);
        Assert.Equal(1 << 20, cache.Bytes); // nothing displaced for a block that could never fit
    }

    [Theory]
    [InlineData(256 * 1024, 256 * 1024)]
    [InlineData(256 * 1024 + 1, 512 * 1024)]
    [InlineData(9_300_000, 16 << 20)]
    public void SizeFor_RoundsUpToAPowerOfTwo(long bytes, long expected)
        => Assert.Equal((nuint)expected, MappedBlockCache.SizeFor((nuint)bytes));
}
