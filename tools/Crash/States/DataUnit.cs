namespace LatticeKV.Tool.Crash.States;

/// <summary>
/// The part of one recorded write that falls in one 4 KiB page: the unit in which unsynced data
/// reaches the disk or not. <see cref="Start"/> and <see cref="Length"/> slice the write's data;
/// <see cref="Appends"/> is true when the unit extended the file as the program saw it.
/// </summary>
internal readonly record struct DataUnit(int Id, int Op, int File, long Offset, int Start, int Length, bool Appends)
{
    public long End => Offset + Length;
}
