using System.CommandLine;
using LatticeKV.Ledger;
using LatticeKV.Tool.Cli;

namespace LatticeKV.Tool.Ledgers;

/// <summary>
/// <c>lkv ledger proof DB --leaf N [--size S]</c>: an RFC 9162 inclusion proof, or with
/// <c>--consistency OLD</c> a consistency proof; always checked with <see cref="MerkleProof"/>
/// before it is printed, as JSON with hex hashes.
/// </summary>
public static class LedgerProofCommand
{
    public static Command Create()
    {
        var db = Common.Db();
        var leaf = new Option<long?>("--leaf") { Description = "The leaf index to prove included." };
        var consistency = new Option<long?>("--consistency") { Description = "Prove the tree of this many leaves is a prefix of the tree of --size leaves." };
        var size = new Option<long?>("--size") { Description = "The tree size (default: the log's current size)." };
        var cmd = new Command("proof", "An inclusion proof of a leaf (--leaf) or a consistency proof between two tree sizes (--consistency), verified and printed as JSON.");
        cmd.Arguments.Add(db);
        foreach (var o in new Option[] { leaf, consistency, size }) cmd.Options.Add(o);
        cmd.SetAction(r => LedgerCommand.Run(r, db, ledger =>
        {
            long treeSize = r.GetValue(size) ?? ledger.TreeSize;
            if (treeSize < 0 || treeSize > ledger.TreeSize) throw new UsageException($"--size must be between 0 and the log's size, {ledger.TreeSize}.");
            byte[] root = ledger.GetRootHash(treeSize);
            if (r.GetValue(leaf) is { } index)
            {
                if (r.GetValue(consistency) is not null) throw new UsageException("--leaf and --consistency are separate proofs: give one.");
                if (index < 0 || index >= treeSize) throw new UsageException($"--leaf must be between 0 and {treeSize - 1}.");
                var proof = ledger.GetInclusionProof(index, treeSize);
                var record = ledger.GetLeafRecord(index);
                byte[] leafHash = ledger.GetLeafHash(index);
                bool verified = MerkleProof.VerifyInclusion(index, treeSize, leafHash, proof.Hashes, root);
                Backups.BackupJson.Write(new Dictionary<string, object?>
                {
                    ["kind"] = "inclusion",
                    ["leaf_index"] = index,
                    ["tree_size"] = treeSize,
                    ["leaf_hash"] = Convert.ToHexStringLower(leafHash),
                    ["root_hash"] = Convert.ToHexStringLower(root),
                    ["hashes"] = proof.Hashes.Select(Convert.ToHexStringLower).ToList(),
                    ["verified"] = verified,
                    ["transaction"] = LedgerJson.ToJson(record),
                });
                return verified ? ExitCodes.Ok : ExitCodes.VerifyLedgerInconsistent;
            }
            if (r.GetValue(consistency) is { } oldSize)
            {
                if (oldSize < 0 || oldSize > treeSize) throw new UsageException($"--consistency must be between 0 and {treeSize}.");
                var proof = ledger.GetConsistencyProof(oldSize, treeSize);
                byte[] oldRoot = ledger.GetRootHash(oldSize);
                bool verified = MerkleProof.VerifyConsistency(oldSize, treeSize, oldRoot, root, proof.Hashes);
                Backups.BackupJson.Write(new Dictionary<string, object?>
                {
                    ["kind"] = "consistency",
                    ["old_size"] = oldSize,
                    ["new_size"] = treeSize,
                    ["old_root_hash"] = Convert.ToHexStringLower(oldRoot),
                    ["new_root_hash"] = Convert.ToHexStringLower(root),
                    ["hashes"] = proof.Hashes.Select(Convert.ToHexStringLower).ToList(),
                    ["verified"] = verified,
                });
                return verified ? ExitCodes.Ok : ExitCodes.VerifyLedgerInconsistent;
            }
            throw new UsageException("Give --leaf N (an inclusion proof) or --consistency OLD (a consistency proof).");
        }));
        return cmd;
    }
}
