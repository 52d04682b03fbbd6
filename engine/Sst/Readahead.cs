using LatticeKV.Cache;

namespace LatticeKV.Sst;

/// <summary>
/// The readahead of one table iterator. Once the iterator has moved to the next (or previous)
/// block twice in a row, the blocks beyond it are handed to the <see cref="BlockWarmer"/>, which
/// loads them into the block cache off the caller's thread. The window starts at two blocks and
/// doubles with each batch, up to the byte cap; a jump (a seek, or a move to a block that is not
/// the neighbour) resets it, since a scan that seeks is not sequential. Not thread-safe (one
/// iterator's).
/// </summary>
internal sealed class Readahead(BlockWarmer warmer, TableReader table, long maxBytes)
{
    private TableReader _table = table;

    private const int InitialBlocks = 2;
    private const int SequentialLoadsBeforeReadahead = 2;
    private int _last = -1;   // the block the iterator loaded last
    private int _step;        // +1 forward, -1 backward, 0 before a direction is known
    private int _run;         // sequential loads in a row
    private int _window = InitialBlocks;
    private int _frontier = -1; // the next block not yet handed to the warmer

    /// <summary>Blocks the next batch will ask for (tests check that a seek resets it).</summary>
    internal int WindowBlocks => _window;

    /// <summary>
    /// This readahead, reset and pointed at <paramref name="next"/>, when it loads through
    /// <paramref name="nextWarmer"/> with the same cap (a level iterator moving to another table
    /// keeps it instead of making one per table); null when it does not.
    /// </summary>
    public Readahead? ReuseFor(BlockWarmer nextWarmer, TableReader next, long nextMaxBytes)
    {
        if (!ReferenceEquals(nextWarmer, warmer) || nextMaxBytes != maxBytes) return null;
        _table = next;
        Reset();
        return this;
    }

    /// <summary>Forgets the scan: the iterator jumped.</summary>
    public void Reset()
    {
        _last = -1;
        _step = 0;
        _run = 0;
        _window = InitialBlocks;
        _frontier = -1;
    }

    /// <summary>The iterator moved to block <paramref name="number"/>.</summary>
    public void OnLoad(int number)
    {
        int step = number - _last;
        if (_last >= 0 && (step == 1 || step == -1) && (_step == 0 || step == _step))
        {
            _step = step;
            _run++;
        }
        else
        {
            Reset();
        }
        _last = number;
        if (_run < SequentialLoadsBeforeReadahead) return;
        if (_frontier < 0 || (_frontier - number) * _step <= 0) _frontier = number + _step;
        int ahead = (_frontier - number) * _step - 1; // blocks already asked for beyond this one
        if (ahead > _window / 2) return;
        int count = 0;
        long bytes = 0;
        var fences = _table.Fences;
        for (int b = _frontier; count < _window && b >= 0 && b < fences.Count; b += _step)
        {
            bytes += fences.Handle(b).Size;
            if (count > 0 && bytes > maxBytes) break;
            count++;
        }
        if (count == 0) return;
        if (!warmer.Enqueue(_table.FileNumber, _frontier, count, _step, WarmOrigin.Readahead)) return;
        _frontier += count * _step;
        if (bytes <= maxBytes) _window = Math.Min(_window * 2, 1 << 16);
    }
}
