namespace LatticeKV.Indexing;

/// <summary>The index stopped building (dropped, or the database is closing): the build's batch is not written.</summary>
internal sealed class IndexBuildStoppedException() : LatticeException("The index build stopped.");
