using System.IO.Hashing;
using System.Text;
using LatticeKV.Io;

namespace LatticeKV.Tool.Crash.States;

/// <summary>
/// Builds the files a crash state holds from the trace and a <see cref="CrashChoice"/>: replays
/// the directory operations below the metadata cut, then each surviving file's writes and size
/// changes, applying those before its last fsync always and the later ones as the choice and the
/// model allow (<see cref="PersistenceModel"/>).
/// </summary>
internal sealed class CrashStateBuilder(CrashTrace trace, string directory)
{
    public CrashState Build(CrashChoice choice)
    {
        var names = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < Math.Min(choice.MetadataCut, choice.Point); i++)
        {
            var op = trace.Ops[i];
            switch (op.Kind)
            {
                case FsOpKind.Create:
                    names[op.Path] = op.File;
                    break;
                case FsOpKind.Rename:
                    names.Remove(op.Path);
                    names[op.Target!] = op.File;
                    break;
                case FsOpKind.Delete:
                    names.Remove(op.Path);
                    break;
            }
        }
        var dropped = new List<int>();
        var kept = new List<int>();
        bool nonPrefix = false;
        var contents = new Dictionary<int, byte[]>();
        var files = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var (path, file) in names)
        {
            if (!string.Equals(System.IO.Path.GetDirectoryName(path), directory, StringComparison.Ordinal)) continue;
            if (!contents.TryGetValue(file, out var bytes))
            {
                bytes = Contents(file, choice, dropped, kept, ref nonPrefix);
                contents[file] = bytes;
            }
            files[System.IO.Path.GetFileName(path)] = bytes;
        }
        dropped.Sort();
        kept.Sort();
        return new CrashState(choice, files, HashOf(files), nonPrefix, dropped, kept);
    }

    private byte[] Contents(int file, CrashChoice choice, List<int> dropped, List<int> kept, ref bool nonPrefix)
    {
        bool ordered = choice.Model == PersistenceModel.Ext4Ordered;
        int sync = trace.LastSync(file, choice.Point);
        int sizeCut = ordered ? choice.MetadataCut : choice.SizeCuts.GetValueOrDefault(file, sync);
        var data = new GrowableBytes();
        long size = 0;
        bool stalled = false;      // ext4: a size change of this file did not persist, so nothing appended after it did
        bool lostOne = false;      // an optional unit of this file was dropped
        foreach (int i in trace.OpsOf(file))
        {
            if (i >= choice.Point) break;
            bool durable = i < sync;
            var op = trace.Ops[i];
            if (op.Kind == FsOpKind.SetLength)
            {
                if (durable || i < sizeCut)
                {
                    size = op.Length;
                    data.Truncate(size);
                }
                else if (ordered)
                {
                    stalled = true;
                }
                continue;
            }
            foreach (var u in trace.UnitsOf(i))
            {
                bool keep = durable || (choice.Kept.Contains(u.Id) && !(ordered && u.Appends && stalled));
                if (!durable)
                {
                    if (keep)
                    {
                        kept.Add(u.Id);
                        if (lostOne) nonPrefix = true;
                    }
                    else
                    {
                        dropped.Add(u.Id);
                        lostOne = true;
                        // ext4 appends persist as a prefix: a lost one hides every later one.
                        if (ordered && u.Appends) stalled = true;
                    }
                }
                if (keep) data.Write(u.Offset, op.Data.AsSpan(u.Start, u.Length));
                if (u.Appends && (ordered ? keep : durable || i < sizeCut)) size = Math.Max(size, u.End);
            }
        }
        return data.ToArray(size);
    }

    private static UInt128 HashOf(SortedDictionary<string, byte[]> files)
    {
        var hash = new XxHash128();
        Span<byte> length = stackalloc byte[8];
        foreach (var (name, bytes) in files)
        {
            hash.Append(Encoding.UTF8.GetBytes(name));
            System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(length, bytes.Length);
            hash.Append(length);
            hash.Append(bytes);
        }
        return hash.GetCurrentHashAsUInt128();
    }

    /// <summary>A file's bytes while they are rebuilt: positional writes, truncation, zeros where nothing was written.</summary>
    private sealed class GrowableBytes
    {
        private byte[] _bytes = [];
        private long _length;

        public void Write(long offset, ReadOnlySpan<byte> data)
        {
            long end = offset + data.Length;
            if (end > _bytes.Length) Array.Resize(ref _bytes, (int)Math.Max(end, Math.Min(_bytes.Length * 2L, int.MaxValue)));
            data.CopyTo(_bytes.AsSpan((int)offset));
            _length = Math.Max(_length, end);
        }

        public void Truncate(long size)
        {
            if (size >= _length) return;
            _bytes.AsSpan((int)size, (int)(_length - size)).Clear();
            _length = size;
        }

        public byte[] ToArray(long size)
        {
            var result = new byte[size];
            _bytes.AsSpan(0, (int)Math.Min(size, _length)).CopyTo(result);
            return result;
        }
    }
}
