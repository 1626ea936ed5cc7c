using System.CommandLine;
using Spectre.Console;
using Surplus.Protocol;

namespace Surplus.Cli;

/// <summary><c>surplus blob put|get</c>: the exchange's content-addressed store.</summary>
internal static class BlobCommand
{
    public static Command Create()
    {
        var file = new Argument<string>("file") { Description = "The file to upload." };
        var put = new Command("put", "Upload a file; prints its SHA-256 and its location (blob:<sha256>) for jobs.") { file };
        Cli.Act(put, async c =>
        {
            var blob = await BlobProgress.UploadAsync(c, c.Value(file));
            return c.Print(blob, b => c.Out.MarkupLine($"{Cli.Esc(b.Location)} ({b.Size} bytes)"));
        });

        var sha = new Argument<string>("blob") { Description = "The blob's SHA-256 or its blob:<sha256> location." };
        var output = new Option<string?>("--output", "-o") { Description = "Where to write it (default: the SHA-256 as the file name in the current folder).", HelpName = "file" };
        var get = new Command("get", "Download a blob you uploaded or that one of your contracts names; checked against its SHA-256.") { sha, output };
        Cli.Act(get, async c =>
        {
            var given = c.Value(sha).Trim();
            var hash = BlobLocation.TryParse(given.ToLowerInvariant(), out var fromLocation) ? fromLocation : given.ToLowerInvariant();
            if (!BlobLocation.IsSha256(hash))
            {
                throw new UsageException($"'{given}' is not a SHA-256 (64 hex digits) nor a blob:<sha256> location");
            }

            var path = Path.GetFullPath(c.Value(output) ?? hash);
            var size = await BlobProgress.WithProgressAsync(c, $"download {Path.GetFileName(path)}", p => c.Member.GetBlobFileAsync(hash, path, p, c.Cancel));
            return c.Print(new { sha256 = hash, size, file = path }, v => c.Out.MarkupLine($"{Cli.Esc(v.file)} ({v.size} bytes, SHA-256 checked)"));
        });

        return new Command("blob", "The exchange's blob store: put and get programs, data and results.") { put, get };
    }
}
