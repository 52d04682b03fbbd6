using System.Security.Cryptography;
using LatticeKV.Db;

namespace LatticeKV.Backup;

/// <summary>
/// Writes a checkpoint (<see cref="LatticeDb.CreateCheckpoint"/>): the captured files under a
/// temporary sibling name, tables hard-linked where possible, everything fsynced, then one
/// directory rename. A crash leaves either the whole checkpoint or a temporary directory
/// (named <c>DIR.checkpoint-tmp-*</c>) that no one opens.
/// </summary>
internal static class Checkpoint
{
    public const string TempMarker = ".checkpoint-tmp-";

    public static void Write(LiveFileSet live, string directory)
    {
        var fs = live.FileSystem;
        if (fs.DirectoryExists(directory) || fs.FileExists(directory))
            throw new InvalidArgumentException($"Checkpoint directory '{directory}' already exists; a checkpoint is written only to a new directory.", nameof(directory));
        string parent = Path.GetDirectoryName(directory) ?? throw new InvalidArgumentException($"Checkpoint directory '{directory}' has no parent.", nameof(directory));
        if (!fs.DirectoryExists(parent)) fs.CreateDirectory(parent);
        RestoreDirectory.RemoveAbandoned(fs, parent, Path.GetFileName(directory) + TempMarker);
        string temp = directory + TempMarker + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
        fs.CreateDirectory(temp);
        var created = new List<string>();
        try
        {
            foreach (var file in live.Files)
            {
                string target = Path.Combine(temp, file.Name);
                created.Add(target);
                if (file.Kind == LiveFileKind.Identity)
                    FileCopy.Write(fs, target, live.Identity.NewTimeline().Encode());
                else if (file.Contents is { } contents)
                    FileCopy.Write(fs, target, contents);
                else if (file.Kind is not (LiveFileKind.Table or LiveFileKind.Blob) || !fs.TryHardLink(file.SourcePath!, target))
                    FileCopy.Copy(fs, file.SourcePath!, fs, target, file.Length);
            }
            fs.SyncDirectory(temp);
            fs.RenameDirectory(temp, directory);
            fs.SyncDirectory(parent);
        }
        catch
        {
            foreach (var path in created)
            {
                try { fs.DeleteFile(path); } catch (Exception e) when (e is LatticeIOException or FileNotFoundException) { }
            }
            try { fs.DeleteEmptyDirectory(temp); } catch (LatticeIOException) { }
            throw;
        }
    }
}
