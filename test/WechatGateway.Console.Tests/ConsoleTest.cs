using System.Net.Http.Headers;
using Microsoft.Playwright;
using WechatGateway.Tests.Infrastructure;

namespace WechatGateway.Tests.OpsConsole;

/// <summary>Base of the browser tests: a clean state and a fresh browser context (its own sessionStorage) per test.</summary>
public abstract class ConsoleTest
{
    protected IBrowserContext Context { get; private set; } = null!;

    protected IPage Page { get; private set; } = null!;

    private readonly List<string> _pageErrors = [];

    [SetUp]
    public async Task OpenBrowserAsync()
    {
        await TestEnvironment.ResetAsync();
        Context = await ConsoleBrowser.Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1200, Height = 760 } });
        Context.SetDefaultTimeout(15_000);
        Page = await Context.NewPageAsync();
        Page.PageError += (_, error) => _pageErrors.Add(error);
    }

    [TearDown]
    public async Task CloseBrowserAsync()
    {
        await Context.CloseAsync();
        Assert.That(_pageErrors, Is.Empty, "the console threw in the browser");
    }

    protected async Task SignInAsync(string key)
    {
        await Page.GotoAsync(ConsoleBrowser.BaseUrl + "/admin/");
        await Page.FillAsync("#signin-key", key);
        await Page.ClickAsync("#signin button[type=submit]");
        await Page.WaitForSelectorAsync("#who");
    }

    protected async Task GoAsync(string route)
    {
        await Page.EvaluateAsync("r => { location.hash = r; }", route);
        await Page.WaitForSelectorAsync("main#page :is(h1, .error)");
        await Page.WaitForFunctionAsync("() => !document.querySelector('main#page .loading')");
    }

    protected async Task ScreenshotAsync(string name) =>
        await Page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ConsoleBrowser.ScreenshotDirectory, name + ".png") });

    /// <summary>The admin API of the browser's gateway, as a script would call it.</summary>
    protected static HttpClient Api(string key)
    {
        var client = new HttpClient { BaseAddress = new Uri(ConsoleBrowser.BaseUrl) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }
}
