namespace LatticeKV;

/// <summary>Progress of a backup, verification or restore (<see cref="BackupOptions.Progress"/>).</summary>
public readonly record struct BackupProgress(string Operation, long BytesDone, long BytesTotal, int FilesDone, int FilesTotal);
