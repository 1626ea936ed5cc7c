using Microsoft.Playwright;

namespace Surplus.Dashboard.Tests.Infrastructure;

/// <summary>
/// One exchange and one headless Chromium (Debian's, at <c>/usr/bin/chromium</c>; Playwright's
/// own download is not used) for all the dashboard tests; each test opens its own page.
/// </summary>
public sealed class DashboardFixture : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";

    private IPlaywright? playwright;

    public LiveExchange Exchange { get; private set; } = null!;

    public IBrowser Browser { get; private set; } = null!;

    /// <summary>Where screenshots go: TestResults/screenshots beside the test binaries.</summary>
    public static string Screenshots { get; } = Path.Combine(AppContext.BaseDirectory, "TestResults", "screenshots");

    public async Task InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            throw new InvalidOperationException($"the dashboard tests drive Debian's Chromium at {ChromiumPath}; install it with 'apt-get install -y chromium'");
        }

        Directory.CreateDirectory(Screenshots);
        Assertions.SetDefaultExpectTimeout(15_000);
        Exchange = await LiveExchange.StartAsync();
        playwright = await Playwright.CreateAsync();
        Browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
    }

    /// <summary>
    /// A fresh page (its own session storage) on the dashboard that fails the test on a script
    /// error or a Content-Security-Policy violation, with every request's URL and headers recorded.
    /// </summary>
    public async Task<DashboardPage> OpenAsync(string fragment = "")
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 1400 } });
        var page = await context.NewPageAsync();
        var dashboard = new DashboardPage(context, page);
        await page.GotoAsync(new Uri(Exchange.Address, "/" + fragment).ToString());
        return dashboard;
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.CloseAsync();
        }

        playwright?.Dispose();
        if (Exchange is not null)
        {
            await Exchange.DisposeAsync();
        }
    }
}

/// <summary>A page of the dashboard with what went wrong on it and the requests it made.</summary>
public sealed class DashboardPage : IAsyncDisposable
{
    private readonly IBrowserContext context;
    private readonly List<string> problems = [];
    private readonly List<(string Url, string? Authorization)> requests = [];

    public DashboardPage(IBrowserContext context, IPage page)
    {
        this.context = context;
        Page = page;
        page.PageError += (_, error) => Add($"script error: {error}");
        page.Console += (_, message) =>
        {
            if (message.Type == "error" && !message.Text.Contains("Failed to load resource", StringComparison.Ordinal))
            {
                Add($"console error: {message.Text}");
            }
        };
        page.Request += (_, request) =>
        {
            lock (requests)
            {
                requests.Add((request.Url, request.Headers.TryGetValue("authorization", out var a) ? a : null));
            }
        };
    }

    public IPage Page { get; }

    /// <summary>Script errors and console errors (a CSP violation is one) seen so far.</summary>
    public IReadOnlyList<string> Problems
    {
        get
        {
            lock (problems)
            {
                return [.. problems];
            }
        }
    }

    public IReadOnlyList<(string Url, string? Authorization)> Requests
    {
        get
        {
            lock (requests)
            {
                return [.. requests];
            }
        }
    }

    public Task ScreenshotAsync(string name) =>
        Page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(DashboardFixture.Screenshots, name + ".png"), FullPage = true });

    public async ValueTask DisposeAsync() => await context.CloseAsync();

    private void Add(string problem)
    {
        lock (problems)
        {
            problems.Add(problem);
        }
    }
}
