using Spectre.Console;
using Surplus.Client;

namespace Surplus.Cli;

/// <summary>Uploads and downloads with a progress bar on stderr when it is a terminal (and a one-line note otherwise).</summary>
internal static class BlobProgress
{
    public static async Task<T> WithProgressAsync<T>(CliContext c, string description, Func<IProgress<ByteProgress>?, Task<T>> move)
    {
        if (!c.Interactive)
        {
            var result = await move(null);
            c.Note($"{Cli.Esc(description)}: done");
            return result;
        }

        return await c.Err.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new DownloadedColumn(), new TransferSpeedColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask(Cli.Esc(description), maxValue: 1);
                var progress = new Progress<ByteProgress>(p =>
                {
                    if (p.Total is { } total && total > 0)
                    {
                        task.MaxValue = total;
                    }
                    else
                    {
                        task.IsIndeterminate = true;
                    }

                    task.Value = p.Bytes;
                });
                var result = await move(progress);
                task.Value = task.MaxValue;
                task.StopTask();
                return result;
            });
    }

    public static async Task<Surplus.Protocol.BlobDto> UploadAsync(CliContext c, string path)
    {
        if (!File.Exists(path))
        {
            throw new UsageException($"no file '{path}'");
        }

        return await WithProgressAsync(c, $"upload {Path.GetFileName(path)}", p => c.Member.PutBlobFileAsync(path, p, c.Cancel));
    }
}
