using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace LatticeKV.Cache;

/// <summary>
/// Free buffers of the block cache's pools (<see cref="BlockArrayPool"/>'s arrays,
/// <see cref="NativeBlockPool"/>'s C-heap blocks), kept by size for the blocks read next: sizes
/// are multiples of a power-of-two granularity, each size up to <see cref="BlockArrayPool.ClassedMax"/>
/// has a stack and a lock of its own, found by indexing (readers of different sizes do not wait
/// for each other), larger sizes share one. A take that finds none of its own size borrows a
/// slightly larger one (see <see cref="BlockArrayPool.BorrowFraction"/>). Holds at most
/// <c>capacity</c> bytes (approximately: concurrent adds may pass it by a buffer each). The
/// caller allocates on a failed take and disposes of a buffer whose add fails. Thread-safe.
/// </summary>
/// <typeparam name="T">A buffer; its size is kept beside it, so an address will do.</typeparam>
internal sealed class SizeClassStacks<T>
{
    private readonly long _capacity;
    private readonly int _shift;
    private readonly SizeClass?[] _classes; // created on first use
    private readonly Lock _largeLock = new();
    private readonly Dictionary<int, Stack<T>> _large = []; // guarded by _largeLock
    private long _bytes; // changed with Interlocked
    private bool _closed; // set once; read under a class's lock or after an interlocked operation

    /// <summary>Stacks holding at most <paramref name="capacity"/> bytes of sizes in steps of <paramref name="granularity"/> (a power of two).</summary>
    public SizeClassStacks(long capacity, int granularity)
    {
        if (granularity <= 0 || (granularity & (granularity - 1)) != 0) throw new ArgumentOutOfRangeException(nameof(granularity), granularity, "Not a power of two.");
        _capacity = capacity;
        _shift = int.TrailingZeroCount(granularity);
        _classes = new SizeClass?[(BlockArrayPool.ClassedMax >> _shift) + 1];
    }

    public long Capacity => _capacity;

    /// <summary>Bytes of buffers waiting to be reused.</summary>
    public long Bytes => Volatile.Read(ref _bytes);

    /// <summary><paramref name="length"/> rounded up to the granularity.</summary>
    public int RoundUp(int length) => (int)(((long)length + (1 << _shift) - 1) >> _shift << _shift);

    /// <summary>Whether <paramref name="size"/> is one a buffer of these stacks can have.</summary>
    public bool IsStepSize(int size) => size > 0 && (size & ((1 << _shift) - 1)) == 0;

    /// <summary>
    /// A free buffer of <paramref name="size"/> bytes (rounded already), or of a larger size up to
    /// an eighth larger (at least one step) when there is none of its own: <paramref name="taken"/>
    /// says which. False when there is neither.
    /// </summary>
    public bool TryTake(int size, out T item, out int taken)
    {
        if (size <= BlockArrayPool.ClassedMax)
        {
            int first = size >> _shift, last = Math.Min(_classes.Length - 1, first + Math.Max(1, (size / BlockArrayPool.BorrowFraction) >> _shift));
            for (int c = first; c <= last; c++)
            {
                var sizeClass = Volatile.Read(ref Slot(c));
                if (sizeClass is null) continue;
                bool found;
                lock (sizeClass.Lock)
                    found = sizeClass.Free.TryPop(out item!);
                if (found)
                {
                    taken = c << _shift;
                    Interlocked.Add(ref _bytes, -taken);
                    return true;
                }
            }
        }
        else
        {
            bool found;
            T? popped = default;
            lock (_largeLock)
                found = _large.TryGetValue(size, out var stack) && stack.TryPop(out popped);
            if (found)
            {
                item = popped!;
                taken = size;
                Interlocked.Add(ref _bytes, -taken);
                return true;
            }
        }
        item = default!;
        taken = 0;
        return false;
    }

    /// <summary>
    /// Keeps <paramref name="item"/>, a buffer of <paramref name="size"/> bytes (a step size) no
    /// reader can reach any more. False when that would pass the capacity or the stacks are closed:
    /// the caller disposes of it.
    /// </summary>
    public bool TryAdd(T item, int size)
    {
        if (Interlocked.Add(ref _bytes, size) > _capacity)
        {
            Interlocked.Add(ref _bytes, -size);
            return false;
        }
        bool added = false;
        if (size <= BlockArrayPool.ClassedMax)
        {
            ref var slot = ref Slot(size >> _shift);
            var sizeClass = Volatile.Read(ref slot);
            if (sizeClass is null)
            {
                Interlocked.CompareExchange(ref slot, new SizeClass(), null);
                sizeClass = Volatile.Read(ref slot)!;
            }
            lock (sizeClass.Lock)
            {
                if (!Volatile.Read(ref _closed))
                {
                    sizeClass.Free.Push(item);
                    added = true;
                }
            }
        }
        else
        {
            lock (_largeLock)
            {
                if (!Volatile.Read(ref _closed))
                {
                    if (!_large.TryGetValue(size, out var stack)) _large[size] = stack = new Stack<T>();
                    stack.Push(item);
                    added = true;
                }
            }
        }
        if (!added) Interlocked.Add(ref _bytes, -size);
        return added;
    }

    /// <summary>
    /// Takes no more buffers and hands every one it held to <paramref name="dispose"/> with its
    /// size. An add racing with it either lands before a stack is emptied or finds the stacks
    /// closed: the flag is set (a full fence) before any stack is visited, each add reads it under
    /// its stack's lock, and a stack created meanwhile is published by a compare-exchange before
    /// its first add reads the flag.
    /// </summary>
    public void Close(Action<T, int> dispose)
    {
        Interlocked.Exchange(ref _closed, true);
        for (int c = 0; c < _classes.Length; c++)
        {
            var sizeClass = Volatile.Read(ref Slot(c));
            if (sizeClass is null) continue;
            T[] free;
            lock (sizeClass.Lock)
            {
                free = sizeClass.Free.ToArray();
                sizeClass.Free.Clear();
            }
            foreach (var item in free) Release(item, c << _shift, dispose);
        }
        KeyValuePair<int, Stack<T>>[] large;
        lock (_largeLock)
        {
            large = [.. _large];
            _large.Clear();
        }
        foreach (var (size, stack) in large)
            foreach (var item in stack) Release(item, size, dispose);
    }

    /// <summary>
    /// The slot of class <paramref name="index"/>, checked against the array's length only: in the
    /// code the runtime shares between instantiations over classes (the arrays' pool), an element
    /// reference taken by indexing calls a helper that checks the element's type on every return.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ref SizeClass? Slot(int index)
    {
        if ((uint)index >= (uint)_classes.Length) ThrowOutOfRange(index);
        return ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_classes), index);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowOutOfRange(int index) => throw new ArgumentOutOfRangeException(nameof(index), index, "No such size class.");

    private void Release(T item, int size, Action<T, int> dispose)
    {
        Interlocked.Add(ref _bytes, -size);
        dispose(item, size);
    }

    private sealed class SizeClass
    {
        public readonly Lock Lock = new();
        public readonly Stack<T> Free = new(); // guarded by Lock
    }
}
