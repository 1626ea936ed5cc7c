using System.CommandLine;
using Spectre.Console;
using Surplus.Client;

namespace Surplus.Cli;

/// <summary><c>surplus login</c>: stores the exchange's URL and keys for the next commands.</summary>
internal static class LoginCommand
{
    public static Command Create()
    {
        var key = Opt.Of<string?>("--key", "A member's API key (as 'surplus member join' printed it).", "key");
        var adminKey = Opt.Of<string?>("--admin-key", "The operator's key (admin.key in the server's data folder).", "key");
        var noCheck = Opt.Of<bool>("--no-check", "Store without asking the exchange whether the keys work.");
        var login = new Command("login", $"Store the exchange's URL (--url) and keys in {CliConfig.FilePath} (mode 600). SURPLUS_URL, SURPLUS_KEY and SURPLUS_ADMIN_KEY override what is stored.")
        {
            key, adminKey, noCheck,
        };
        Cli.Act(login, async c =>
        {
            var stored = CliConfig.Load();
            var updated = stored with
            {
                Url = c.Parse.GetResult(Cli.Url) is not null ? c.Url : stored.Url ?? c.Url,
                Key = c.Value(key) ?? stored.Key,
                AdminKey = c.Value(adminKey) ?? stored.AdminKey,
            };
            var url = new Uri(updated.Url ?? CliConfig.DefaultUrl);
            if (!c.Value(noCheck))
            {
                if (c.Value(key) is { } k)
                {
                    using var client = new SurplusClient(url, k);
                    var me = await client.GetMeAsync(c.Cancel);
                    c.Note($"the key is member {me.Id} ({Cli.Esc(me.Name)})");
                }

                if (c.Value(adminKey) is { } a)
                {
                    using var client = new SurplusClient(url, a);
                    await client.AdminCheckLedgerAsync(c.Cancel);
                }

                if (c.Value(key) is null && c.Value(adminKey) is null)
                {
                    using var client = new SurplusClient(url);
                    await client.GetMarketsAsync(c.Cancel);
                }
            }

            updated.Save();
            return c.Print(new { url = updated.Url, member = updated.Key is not null, admin = updated.AdminKey is not null, file = CliConfig.FilePath },
                v => c.Out.MarkupLine($"Logged in to [bold]{Cli.Esc(v.url)}[/] (member key: {(v.member ? "yes" : "no")}, admin key: {(v.admin ? "yes" : "no")}); stored in {Cli.Esc(v.file)}"));
        });
        return login;
    }
}
