namespace LatticeKV.Tool.Crash.States;

/// <summary>
/// One crash state, described by what it keeps: the crash point, the model, the metadata cut
/// (metadata operations below it persisted), the optional page units kept, and (any-subset
/// model) per file the cut below which its size changes persisted. Enough to rebuild the state
/// from the trace, and so to replay a failure.
/// </summary>
internal sealed record CrashChoice(int Point, PersistenceModel Model, int MetadataCut, IReadOnlySet<int> Kept, IReadOnlyDictionary<int, int> SizeCuts, string Label)
{
    public override string ToString() => $"crash point {Point}, {Model}, {Label}, metadata cut {MetadataCut}";
}
