namespace LatticeKV.Db;

/// <summary>
/// A write was prepared (stage 1) under write stages that changed before its group was led, for
/// example an index created or dropped meanwhile. Never escapes <see cref="WritePath.Write"/>:
/// the write is prepared again under the current stages and queued again.
/// </summary>
internal sealed class StagesChangedException() : LatticeException("The write stages changed while the write was queued.");
