using LatticeKV.Tests.Support;
using LatticeKV.Tool.Cli;
using static LatticeKV.Tests.Support.TestDb;

namespace LatticeKV.Tests.Integrity;

/// <summary><c>lkv verify DB --integrity</c>: exit code 0 when every foreign key holds, 17 with the violations listed.</summary>
public sealed class LkvVerifyIntegrityTests
{
    [Fact]
    public void VerifyIntegrity_ConsistentThenParentExpired_ExitCodesAndListing()
    {
        using var dir = new TempDir("lkv-verify-integrity");
        // A parent family with a TTL, written under a clock long past: expiry is not a delete, so
        // the tool (reading at the real time) finds the child's parent gone.
        var past = new ManualClock(new DateTimeOffset(2020, 1, 1, 0, 0, 0, TimeSpan.Zero));
        using (var db = LatticeDb.Open(dir.Path, new DbOptions { Clock = past }))
        {
            var ledger = new Ledger(db, familyOptions: null, addKey: false);
            var expiring = db.CreateColumnFamily("sessions", new ColumnFamilyOptions { Ttl = TimeSpan.FromHours(1) });
            ledger.AddKey();
            db.AddForeignKey(new ForeignKeyDefinition { Name = "event-session", ChildFamily = db.CreateColumnFamily("events"), ParentKey = IndexExtractors.KeyBytes(0, 2), ParentFamily = expiring });
            ledger.Account("alice");
            ledger.Transaction("t1", "alice");
        }
        var healthy = Lkv.Run(["verify", dir.Path, "--integrity"]);
        Assert.True(healthy.ExitCode == ExitCodes.Ok, healthy.ToString());
        Assert.Contains("constraints hold", healthy.Stdout);

        using (var db = LatticeDb.Open(dir.Path, new DbOptions { Clock = past }))
        {
            db.Put(db.GetColumnFamily("sessions"), B("s1"), B("x"));
            db.Put(db.GetColumnFamily("events"), B("s1/e1"), B("y"));
        }
        var broken = Lkv.Run(["verify", dir.Path, "--integrity", "--json"]);
        Assert.True(broken.ExitCode == ExitCodes.VerifyIntegrityViolated, broken.ToString());
        Assert.Contains("\"violation_count\": 1", broken.Stdout);
        Assert.Contains("'s1/e1'", broken.Stdout);
        var plain = Lkv.Run(["verify", dir.Path]);
        Assert.True(plain.ExitCode == ExitCodes.Ok, "without --integrity constraints are not checked: " + plain);
    }
}
