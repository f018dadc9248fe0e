using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using WechatGateway.Tests.Infrastructure;

namespace WechatGateway.Tests.OpsConsole;

/// <summary>
/// The gateway on a real Kestrel port (Chromium cannot reach WebApplicationFactory's in-memory server) and one
/// headless Debian Chromium, driven by Playwright, for every console test. MySQL, Redis and the simulator are the
/// integration suite's (<see cref="TestEnvironment"/>), which runs first.
/// </summary>
[SetUpFixture]
public sealed class ConsoleBrowser
{
    public const string ChromiumPath = "/usr/bin/chromium";

    public static GatewayFactory Gateway { get; private set; } = null!;

    public static string BaseUrl { get; private set; } = "";

    public static IBrowser Browser { get; private set; } = null!;

    public static string ScreenshotDirectory { get; private set; } = "";

    private static IPlaywright? _playwright;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            Assert.Fail($"{ChromiumPath} is missing. Install it with 'apt-get install -y chromium' (deploy/local/test.sh does so through wg_install_packages).");
        }

        Gateway = new GatewayFactory();
        Gateway.UseKestrel(0);
        Gateway.StartServer();
        BaseUrl = Gateway.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().Replace("[::]", "127.0.0.1", StringComparison.Ordinal).TrimEnd('/');

        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            // Chromium's sandbox needs user namespaces that containers and root CI runners do not give.
            Args = ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
        });

        // The documentation's screenshots are refreshed on purpose (deploy/local/screenshots.sh sets WG_SCREENSHOTS);
        // a test run writes its own under the test output, so running the suite leaves the checkout as it was.
        ScreenshotDirectory = Environment.GetEnvironmentVariable("WG_SCREENSHOTS") is { Length: > 0 } wanted
            ? Path.GetFullPath(wanted)
            : Path.Combine(TestContext.CurrentContext.WorkDirectory, "screenshots");
        Directory.CreateDirectory(ScreenshotDirectory);
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        if (Browser is not null)
        {
            await Browser.CloseAsync();
        }

        _playwright?.Dispose();
        if (Gateway is not null)
        {
            await Gateway.DisposeAsync();
        }
    }

    internal static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "WechatGateway.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("WechatGateway.sln not found above " + AppContext.BaseDirectory);
    }
}
