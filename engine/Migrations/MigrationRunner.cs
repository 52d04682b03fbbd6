namespace LatticeKV.Migrations;

/// <summary>
/// Runs the pending steps of <see cref="DbOptions.Migrations"/> at open (FORMAT.md §18.3). Before
/// the first step: a checkpoint (and a backup where automatic backups are on). Each step then
/// goes through three phases, recorded in the state record: Apply (its passes stage output in
/// batches, each batch committed with the position it reached), Publish (the staged output is
/// written to its families in batches, each with its position) and Finish (the step's last
/// actions, then one batch that records the new version, clears the staging family and names
/// the next step). Any failure of a step becomes a <see cref="MigrationStepFailure"/>.
/// </summary>
internal sealed class MigrationRunner
{
    private readonly IReadOnlyList<Migration> _steps;
    private readonly Action<MigrationProgress>? _progress;
    private readonly Action? _afterWrite; // test hook: a child process kills itself here
    private ColumnFamilyHandle _schema = null!;  // set by Run before the first step
    private StagingArea _staging = null!;

    public MigrationRunner(LatticeDb db, IReadOnlyList<Migration> steps, Action<MigrationProgress>? progress, Action? afterWrite)
    {
        Db = db;
        _steps = steps;
        _progress = progress;
        _afterWrite = afterWrite;
        State = new MigrationProgress("", MigrationPhase.Apply, 0, null, 0);
    }

    public LatticeDb Db { get; }

    /// <summary>The running step's state as last committed.</summary>
    public MigrationProgress State { get; private set; }

    public void Run()
    {
        var inProgress = Db.MigrationInProgress;
        var pending = MigrationPlan.Pending(_steps, Db.StoredSchemaVersions());
        if (pending.Count == 0)
        {
            if (inProgress is not null)
                throw new InvalidArgumentException($"Migration step '{inProgress.StepName}' is in progress, but DbOptions.Migrations has no step left to run.", nameof(DbOptions.Migrations));
            MigrationCheckpoint.Remove(Db.FileSystem, Db.Path); // left by a crash after the last step committed
            return;
        }
        if (inProgress is null)
        {
            // Nothing has been written yet: a checkpoint left by a crash before the first state record is stale.
            MigrationCheckpoint.Remove(Db.FileSystem, Db.Path);
            Db.CreateCheckpoint(MigrationCheckpoint.DirectoryOf(Db.Path));
            Db.AutoBackupService?.BackupNow("before-migration");
            // The hidden families are made after the checkpoint: a rollback leaves none behind.
            CreateFamilies();
            State = new MigrationProgress(pending[0].Name, MigrationPhase.Apply, 0, null, 0);
            WriteState(new WriteBatch(), sync: true);
        }
        else if (inProgress.StepName != pending[0].Name)
        {
            throw new InvalidArgumentException($"Migration step '{inProgress.StepName}' is in progress, but the next step of DbOptions.Migrations is '{pending[0].Name}'.", nameof(DbOptions.Migrations));
        }
        else
        {
            CreateFamilies();
            State = inProgress;
        }
        for (int i = 0; i < pending.Count; i++)
        {
            try
            {
                RunStep(pending[i], i + 1 < pending.Count ? pending[i + 1] : null);
            }
            catch (Exception ex)
            {
                throw new MigrationStepFailure(pending[i].Name, ex);
            }
        }
        MigrationCheckpoint.Remove(Db.FileSystem, Db.Path);
    }

    private void CreateFamilies()
    {
        _schema = Db.SchemaFamily(create: true)!;
        var staging = Db.TryGetFamilyAnyName(SchemaRecords.StagingName, out var found) ? found
            : Db.CreateColumnFamilyCore(SchemaRecords.StagingName, new ColumnFamilyOptions { Encrypted = Db.HasEncryption });
        _staging = new StagingArea(staging);
    }

    private void RunStep(Migration step, Migration? next)
    {
        if (State.Phase == MigrationPhase.Apply)
        {
            step.Apply(new MigrationContext(this, step));
            State = State with { Phase = MigrationPhase.Publish, Pass = 0, Position = null };
            WriteState(new WriteBatch(), sync: false);
        }
        if (State.Phase == MigrationPhase.Publish)
        {
            Publish();
            State = State with { Phase = MigrationPhase.Finish, Position = null };
            WriteState(new WriteBatch(), sync: false);
        }
        step.OnCommit?.Invoke(Db);
        var commit = new WriteBatch();
        if (step.RenamesTo is { } renamed)
        {
            commit.Delete(_schema, SchemaRecords.VersionKey(step.ColumnFamily));
            commit.Put(_schema, SchemaRecords.VersionKey(renamed), SchemaRecords.EncodeVersion(step.ToVersion));
        }
        else
        {
            commit.Put(_schema, SchemaRecords.VersionKey(step.ColumnFamily), SchemaRecords.EncodeVersion(step.ToVersion));
        }
        commit.Put(_schema, SchemaRecords.SummaryKey(step.Name), SchemaRecords.EncodeCount(State.EntriesDone));
        _staging.Clear(commit);
        if (next is null)
        {
            commit.Delete(_schema, SchemaRecords.StateKey);
            Write(commit, sync: true);
        }
        else
        {
            State = new MigrationProgress(next.Name, MigrationPhase.Apply, 0, null, 0);
            WriteState(commit, sync: true);
        }
    }

    /// <summary>One <see cref="MigrationContext.ForEach"/> pass: skipped when a run before a crash completed it, resumed after its position otherwise.</summary>
    public void RunPass(ColumnFamilyHandle source, int pass, MigrationEntryAction action)
    {
        if (State.Phase != MigrationPhase.Apply) throw new InvalidOperationException("MigrationContext.ForEach is called only from a step's apply function.");
        if (pass < State.Pass) return;
        var writer = new MigrationWriter(_staging);
        using (var it = Db.NewIterator(source))
        {
            SeekAfter(it, pass == State.Pass ? State.Position : null);
            while (it.Valid)
            {
                var batch = new WriteBatch();
                writer.Batch = batch;
                int n = 0;
                byte[] last;
                do
                {
                    action(it.Key, it.Value, writer);
                    last = it.Key.ToArray();
                    n++;
                    it.Next();
                }
                while (it.Valid && n < LatticeDb.MigrationBatchEntries && batch.DataSize < LatticeDb.MigrationBatchBytes);
                State = State with { Pass = pass, Position = last, EntriesDone = State.EntriesDone + n };
                WriteState(batch, sync: false); // the output and the position reached, in one atomic write
            }
        }
        State = State with { Pass = pass + 1, Position = null };
        WriteState(new WriteBatch(), sync: false);
    }

    /// <summary>Writes the staged output to its families, a batch at a time, each with the position reached.</summary>
    private void Publish()
    {
        using var it = Db.NewIterator(_staging.Family);
        SeekAfter(it, State.Position);
        while (it.Valid)
        {
            var batch = new WriteBatch();
            int n = 0;
            byte[] last;
            do
            {
                StagingArea.Publish(Db, batch, it.Key, it.Value);
                last = it.Key.ToArray();
                n++;
                it.Next();
            }
            while (it.Valid && n < LatticeDb.MigrationBatchEntries && batch.DataSize < LatticeDb.MigrationBatchBytes);
            State = State with { Position = last, EntriesDone = State.EntriesDone + n };
            WriteState(batch, sync: false);
        }
    }

    private static void SeekAfter(LatticeIterator it, byte[]? position)
    {
        if (position is null)
        {
            it.SeekToFirst();
            return;
        }
        it.Seek(position);
        if (it.Valid && it.Key.SequenceEqual(position)) it.Next();
    }

    /// <summary>Adds the state record to <paramref name="batch"/> and writes it: whatever else the batch holds commits with it.</summary>
    private void WriteState(WriteBatch batch, bool sync)
    {
        batch.Put(_schema, SchemaRecords.StateKey, MigrationStateCodec.Encode(State));
        Write(batch, sync);
        _progress?.Invoke(State);
    }

    private void Write(WriteBatch batch, bool sync)
    {
        Db.Write(batch, new WriteOptions { Sync = sync });
        _afterWrite?.Invoke();
    }
}
